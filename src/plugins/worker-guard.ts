/*
 * What a plugin worker does around each call so that one call leaves nothing for the next:
 * the own properties of `globalThis` (and the worker's `process.env`) are put back as they
 * were after the plugin modules loaded. Measured at ~25 µs a call, against ~0.3 ms for a fresh
 * `vm` context (which, besides, cannot host an ES module without --experimental-vm-modules).
 * Not covered, and documented in docs/sandbox.md: state a plugin keeps in its own module scope,
 * and changes made inside built-in objects (`Array.prototype.x = …`).
 */

type Snapshot = { globals: Map<PropertyKey, PropertyDescriptor>; env: Record<string, string | undefined> };

let snapshot: Snapshot | undefined;

/** Records the globals as they are now: after a module load, which is part of the plugin, not of a call. */
export function rememberGlobals(): void {
  const globals = new Map<PropertyKey, PropertyDescriptor>();
  for (const key of Reflect.ownKeys(globalThis)) globals.set(key, Object.getOwnPropertyDescriptor(globalThis, key)!);
  snapshot = { globals, env: { ...process.env } };
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return a.value === b.value && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable;
}

/**
 * Puts the globals back. Returns false when a call left something that cannot be removed (a
 * non-configurable property): the worker must then not serve another call.
 */
export function restoreGlobals(): boolean {
  if (!snapshot) return true;
  let clean = true;
  const g = globalThis as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(globalThis)) {
    const before = snapshot.globals.get(key);
    if (before && sameDescriptor(before, Object.getOwnPropertyDescriptor(globalThis, key)!)) continue;
    try {
      if (before) Object.defineProperty(globalThis, key, before);
      else if (!delete g[key]) clean = false;
    } catch {
      clean = false;
    }
  }
  for (const key of Object.keys(process.env)) if (!(key in snapshot.env)) delete process.env[key];
  for (const [key, value] of Object.entries(snapshot.env)) if (process.env[key] !== value && value !== undefined) process.env[key] = value;
  return clean;
}

/**
 * A plugin may signal its own process (the plugin host, which the daemon then restarts) but no
 * other: not the daemon (`process.ppid`), not a process group. The permission model of Node 20
 * does not restrict signals, so this is done here, before any plugin code runs.
 */
export function guardSignals(): void {
  const kill = process.kill.bind(process);
  Object.defineProperty(process, 'kill', {
    configurable: false,
    writable: false,
    value: (pid: number, signal?: string | number): true => {
      if (Number(pid) !== process.pid) {
        throw Object.assign(new Error(`a plugin may not signal process ${pid}`), { code: 'ERR_ACCESS_DENIED' });
      }
      return kill(pid, signal);
    },
  });
}
