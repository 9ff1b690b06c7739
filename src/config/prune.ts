import type { ErrorObject } from 'ajv';

/*
 * The cross-key rules need data of the right shape, and the schema errors say where it is not.
 * Rather than stop at the schema errors (an operator then fixes them, only to meet the rules'
 * errors next), the data is cut down to what the schema accepts and the rules run on that:
 * every problem at once.
 */

type Json = Record<string, unknown> | unknown[];

function segments(instancePath: string): string[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(root: unknown, path: string[]): Json | undefined {
  let at: unknown = root;
  for (const p of path.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[p];
  }
  return typeof at === 'object' && at !== null ? (at as Json) : undefined;
}

/**
 * One step of pruning: each error's value removed (a required key that is missing gets a
 * placeholder the schema takes, so that array items, and their indexes, stay as written).
 * Returns false when nothing could be changed.
 */
export function pruneOnce(root: Record<string, unknown>, errors: readonly ErrorObject[]): boolean {
  let changed = false;
  for (const e of errors) {
    const path = segments(e.instancePath);
    if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
    if (e.keyword === 'required') {
      const target = parentOf(root, [...path, '']);
      if (target && !Array.isArray(target)) {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        // A value the schema takes: the first allowed one, or a string no real setting holds.
        const prop = (e.parentSchema as { properties?: Record<string, { enum?: unknown[]; anyOf?: Array<{ enum?: unknown[] }> }> } | undefined)?.properties?.[missing];
        const allowed = prop?.enum ?? prop?.anyOf?.find((b) => b.enum)?.enum;
        target[missing] = allowed?.[0] ?? `\u0000missing ${e.instancePath}`;
        changed = true;
      }
      continue;
    }
    if (path.length === 0) continue;
    const parent = parentOf(root, path);
    const last = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      // An item of the wrong shape becomes an empty object, so later items keep their index.
      if (parent[Number(last)] !== undefined && JSON.stringify(parent[Number(last)]) !== '{}') {
        parent[Number(last)] = {};
        changed = true;
      }
    } else if (parent && Object.hasOwn(parent, last)) {
      delete parent[last];
      changed = true;
    }
  }
  return changed;
}
