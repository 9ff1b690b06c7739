import { isGroup, isPair, type KvGroup } from '../kvgroup/document.js';
import type { UnchangedVerdict, WorkerResult } from './messages.js';

/*
 * An output that leaves its action unchanged (changed ≠ "true") is never used beyond three
 * facts: its changed and retval values and how many actions it holds (more or fewer than one is
 * a likely bug, said as a warning). Most outputs are like that, and sending each whole back to
 * the daemon (a JSON copy out of the plugin host, a parse on the daemon's main thread, walks
 * for its passwords and actions there) cost more than the plugin call. So, where the caller
 * asked for it (`brief`), the pool answers such an output with those facts only. It runs where
 * the pool runs (the plugin host's main thread, where no plugin code runs), on the output as
 * the worker sent it; every rule about those facts is still applied by the daemon.
 *
 * Imports nothing that loads the KVGroup parser or the logger: the plugin host stays small.
 */

/** The key whose value is a password (contract §2; redact.ts, which loads the logger). */
const SECRET_KEY = 'newpw';

function passwordsIn(doc: KvGroup): Set<string> {
  const found = new Set<string>();
  const stack: KvGroup[] = [doc];
  while (stack.length > 0) {
    for (const m of stack.pop()!.members) {
      if (isGroup(m)) stack.push(m);
      else if (m.key === SECRET_KEY && m.value !== '') found.add(m.value);
    }
  }
  return found;
}

/** How many action groups the output's batch groups hold (as the daemon counts them). */
function actionCount(output: KvGroup): number {
  let n = 0;
  for (const b of output.members) if (isGroup(b) && b.type === 'batch') for (const a of b.members) if (isGroup(a) && a.type === 'action') n++;
  return n;
}

/** The first value of `key` among the output's own pairs (as `getValue` reads it). */
function firstValue(output: KvGroup, key: string): string | null {
  for (const m of output.members) if (isPair(m) && m.key === key) return m.value;
  return null;
}

/**
 * The verdict of an output that left the action unchanged, or undefined when the whole output
 * must go back: it changed the action, or it holds a password its input did not (the daemon
 * masks the passwords of what a plugin returned in everything said about the call).
 */
export function unchangedVerdict(input: KvGroup, output: KvGroup): UnchangedVerdict | undefined {
  const changed = firstValue(output, 'changed');
  if (changed === 'true') return undefined;
  const given = passwordsIn(input);
  for (const p of passwordsIn(output)) if (!given.has(p)) return undefined;
  return { changed, retval: firstValue(output, 'retval'), actions: actionCount(output) };
}

/** `result` with an unchanged output replaced by its verdict, where that is allowed. */
export function briefResult(input: KvGroup, result: WorkerResult): WorkerResult {
  if (!result.ok || !result.output) return result;
  const verdict = unchangedVerdict(input, result.output);
  return verdict ? { ok: true, output: null, verdict, logs: result.logs } : result;
}
