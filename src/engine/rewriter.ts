import { readAction, readBatch, type Batch } from '../batch/index.js';
import type { Config } from '../config/index.js';
import { isGroup, type KvGroup } from '../kvgroup/index.js';
import type { Logger } from '../log.js';
import type { PluginHost, RewriteOutcome } from '../plugins/index.js';
import { actionKey, type ClaimedAction, type RewriteDecision, type Store } from '../store/index.js';
import { actionRecord } from './ingest.js';

/** Problems of a plugin output listed in full up to this many; the rest are counted. */
const LISTED_PROBLEMS = 10;

/** Plugin failures that mean "the plugin cannot be used now", not "it failed on this action". */
const UNUSABLE = new Set(['PLUGIN_NOT_FOUND', 'PLUGIN_LOAD']);

/** The batch around some of its actions: the context a plugin is given, with those actions in it. */
export function batchAround(context: KvGroup, actions: readonly KvGroup[]): Batch {
  const root: KvGroup = {
    ...context,
    members: context.members.map((m) => (isGroup(m) && m.type === 'batch' ? { ...m, members: [...m.members, ...actions] } : m)),
  };
  return readBatch(root)!;
}

/**
 * The rewrite step, run for primary actions as they are about to run (contract §3): each goes
 * through the plugin chain, and what came of it becomes a `RewriteDecision` the store applies
 * against the graph as it is then (fanned ids, dependencies, cycles through stored actions).
 */
export class Rewriter {
  constructor(
    private readonly store: Pick<Store, 'knownActions'>,
    private readonly plugins: PluginHost,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** Rewrites claimed primaries, of one batch or several: one plugin task for all of them. */
  async decide(claims: readonly ClaimedAction[]): Promise<RewriteDecision[]> {
    const byBatch = new Map<string, ClaimedAction[]>();
    for (const c of claims) byBatch.set(c.batchId, [...(byBatch.get(c.batchId) ?? []), c]);
    return this.decideBatches([...byBatch.values()].map((group) => batchAround(group[0]!.context!, group.map((c) => c.document))));
  }

  /** Rewrites every action of `batch` (they are its primaries), one decision each. */
  async decideBatch(batch: Batch): Promise<RewriteDecision[]> {
    return this.decideBatches([batch]);
  }

  /** Rewrites every action of each batch, in one plugin task per plugin of the chain. */
  private async decideBatches(batches: readonly Batch[]): Promise<RewriteDecision[]> {
    const refs: Array<{ batch: string; action: string; primary: string }> = [];
    // Dependencies outside the actions at hand are collected here and checked against the store.
    const outcomes = await this.plugins.rewriteMany(
      batches.map((batch) => ({ batch, primaries: batch.actions })),
      this.config.rewritePlugin,
      (b, a, primary) => {
        refs.push({ batch: b, action: a, primary: actionKey(primary.batch, primary.id) });
        return true;
      },
    );
    const known = await this.store.knownActions(refs);
    const primaries = batches.flatMap((batch) => batch.actions.map((primary) => ({ batch, primary })));
    return primaries.map(({ batch, primary }, i) => {
      const key = actionKey(batch.id, primary.id);
      const missing = refs.find((r) => r.primary === key && !known.has(actionKey(r.batch, r.action)));
      const outcome = outcomes[i]!;
      if (missing && outcome.kind === 'rewritten') {
        const message = `action ${primary.id}: plugin ${outcome.plugins.join(', ')} output breaks a rule: depends on action ${missing.action} of batch ${missing.batch}, which does not exist; action failed`;
        return this.decision(batch, primary.id, { kind: 'invalid-output', plugin: outcome.plugins.join(', '), problems: [], message });
      }
      return this.decision(batch, primary.id, outcome);
    });
  }

  /** One outcome as the store records it, logged as what the plugin did. */
  private decision(batch: Batch, primaryId: string, outcome: RewriteOutcome): RewriteDecision {
    const meta = { batch: batch.id, action: primaryId };
    const base = { batchId: batch.id, primaryId, actions: [], source: 'plugin', board: null };
    switch (outcome.kind) {
      case 'none':
        return { ...base, outcome: 'run', message: outcome.message };
      case 'unchanged':
        if (outcome.ignored) {
          // Output that changed the batch but was not marked so: on the board, as a likely bug.
          this.logger.warn(outcome.message, meta);
          return { ...base, outcome: 'run', message: outcome.message, board: 'warn' };
        }
        // Routine: a line per action at info would cost more than the plugin call (debug shows it).
        if (this.logger.isDebugEnabled?.() !== false) this.logger.debug(outcome.message, meta);
        return { ...base, outcome: 'run', message: outcome.message };
      case 'rewritten': {
        const plugin = outcome.plugins.join(',');
        this.logger.info(outcome.message, meta);
        const actions = outcome.actions.map((g) => actionRecord(readAction(g), primaryId, plugin));
        return { ...base, outcome: 'replace', actions, message: outcome.message, event: { type: 'action.rewritten', plugin } };
      }
      case 'plugin-error': {
        const event = { type: 'plugin.failed' as const, plugin: outcome.plugin };
        if (UNUSABLE.has(outcome.code)) {
          // Never run as submitted what a configured plugin would have rewritten: wait for it.
          const message = `action ${primaryId}: waits: plugin ${outcome.plugin} cannot be used (${outcome.message.replace(/^action \S+: plugin \S+ /, '').replace(/; (primary action kept as submitted|action failed)$/, '')}); nothing runs until it can`;
          this.logger.error(message, { ...meta, plugin: outcome.plugin, code: outcome.code });
          return { ...base, outcome: 'hold', message, board: 'error', event };
        }
        // The message already says which action and plugin, and what became of the action.
        this.logger.error(outcome.message, { ...meta, plugin: outcome.plugin, code: outcome.code });
        return { ...base, outcome: outcome.policy === 'primary' ? 'run' : 'fail', message: outcome.message, board: 'error', event };
      }
      case 'invalid-output': {
        const message = this.problemsMessage(primaryId, outcome);
        this.logger.error(message, { ...meta, plugin: outcome.plugin });
        return { ...base, outcome: 'fail', message, board: 'error', event: { type: 'plugin.failed', plugin: outcome.plugin } };
      }
      case 'removed':
        this.logger.info(outcome.message, meta);
        return { ...base, outcome: 'removed', message: outcome.message, board: 'info', event: { type: 'action.rewritten', plugin: outcome.plugin } };
    }
  }

  /** Every rule the output broke, folded after `LISTED_PROBLEMS` with the count of the rest. */
  private problemsMessage(primaryId: string, outcome: Extract<RewriteOutcome, { kind: 'invalid-output' }>): string {
    if (outcome.problems.length === 0) return outcome.message;
    const listed = outcome.problems.slice(0, LISTED_PROBLEMS).map((p) => p.message);
    const rest = outcome.problems.length - listed.length;
    const n = outcome.problems.length;
    return `action ${primaryId}: plugin ${outcome.plugin} output breaks ${n} rule${n === 1 ? '' : 's'}: ${listed.join('; ')}${rest > 0 ? `; and ${rest} more` : ''}; action failed`;
  }
}
