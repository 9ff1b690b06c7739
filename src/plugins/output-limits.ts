import type { Limits } from '../config/types.js';
import type { KvGroup } from '../kvgroup/index.js';
import type { PluginFailure } from './messages.js';

/*
 * Plugin output is measured before anything large is built from it: in the worker (a returned
 * object is sized by a walk that stops at the limit, so shared arrays cannot make it explode),
 * and on the daemon side for executables (bytes counted as they stream in). Used on both
 * sides, so nothing here needs more than plain data.
 */

export type OutputLimits = Pick<Limits, 'pluginOutputBytes' | 'fannedPerAction'>;

/** Log lines a plugin may send with one call, all together; beyond it they are dropped. */
export const LOG_BYTES = 64 * 1024;

export function tooLarge(message: string): PluginFailure {
  return { code: 'PLUGIN_OUTPUT_TOO_LARGE', message };
}

/**
 * Whether `value` would take more than `limit` bytes as JSON (a lower bound, counting each
 * string's characters and the punctuation around it). Stops as soon as it knows.
 */
export function exceedsJsonBytes(value: unknown, limit: number): boolean {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length + 3;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) {
        total += k.length + 4;
        stack.push(item);
      }
    } else total += 5;
    if (total > limit) return true;
  }
  return false;
}

/** Why a parsed output has too many actions, or undefined. Only the batch group's actions count. */
export function fannedProblem(output: KvGroup, limits: OutputLimits): PluginFailure | undefined {
  for (const m of output.members) {
    if (!('members' in m) || m.type !== 'batch') continue;
    let actions = 0;
    for (const a of m.members) if ('members' in a && a.type === 'action') actions++;
    if (actions > limits.fannedPerAction + 1) {
      return tooLarge(`returned ${actions} actions, more than the primary and limits.fannedPerAction (${limits.fannedPerAction}) fanned ones`);
    }
  }
  return undefined;
}
