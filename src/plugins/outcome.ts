import type { Problem } from '../batch/index.js';
import type { KvGroup } from '../kvgroup/index.js';
import type { OnPluginError } from '../config/index.js';
import type { PluginErrorCode } from './messages.js';

/*
 * What the rewrite of one primary action came to (contract §3), as the engine records it:
 *   none           no plugin configured             → the primary runs as submitted
 *   rewritten      valid output, changed = "true"   → the output's actions run
 *   unchanged      changed ≠ "true"                 → the primary runs as submitted
 *   plugin-error   threw, hung, crashed, bad text…  → policy "primary": primary runs; "fail": it fails
 *   invalid-output parsed output broke a rule       → the primary fails
 *   removed        no primary, nothing fanned out   → nothing runs; the replyid is told success
 */
export type RewriteOutcome =
  | { kind: 'none'; message: string }
  | { kind: 'rewritten'; plugins: string[]; actions: KvGroup[]; message: string }
  // `ignored`: the output did change the batch (fanned actions, no primary) yet was not marked
  // changed = "true": most likely a plugin's bug, said as a warning.
  | { kind: 'unchanged'; plugins: string[]; message: string; ignored?: boolean }
  | { kind: 'plugin-error'; plugin: string; code: PluginErrorCode; policy: OnPluginError; message: string }
  | { kind: 'invalid-output'; plugin: string; problems: Problem[]; message: string }
  | { kind: 'removed'; plugin: string; message: string };
