import { DependencyGraph, readAction, readBatch, type Batch } from '../batch/index.js';
import type { Config } from '../config/index.js';
import { parseKvg } from '../kvgroup/index.js';
import type { Logger } from '../log.js';
import type { PluginHost, RewriteOutcome } from '../plugins/index.js';
import { actionKey, type RewriteDecision, type Store } from '../store/index.js';
import { actionRecord } from './ingest.js';

/**
 * The rewrite step: every submitted action of a received batch goes through the plugin chain,
 * and what it came to becomes a `RewriteDecision` the store applies in one transaction.
 */
export class Rewriter {
  constructor(
    private readonly store: Pick<Store, 'knownActions'>,
    private readonly plugins: PluginHost,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async decide(batchId: string, text: string): Promise<RewriteDecision[]> {
    const batch = readBatch(parseKvg(text, { source: `batch ${batchId}` })[0]!)!;
    const refs: Array<{ batch: string; action: string; primary: string }> = [];
    // Dependencies on other batches are collected here and checked against the store below.
    const outcomes = await this.plugins.rewriteBatch(batch, this.config.rewritePlugin, (b, a, primary) => {
      if (b === batch.id) return false;
      refs.push({ batch: b, action: a, primary });
      return true;
    });
    const known = await this.store.knownActions(refs);
    const decisions = batch.actions.map((primary, i) => {
      const missing = refs.find((r) => r.primary === primary.id && !known.has(actionKey(r.batch, r.action)));
      if (missing && outcomes[i]!.kind === 'rewritten') {
        const message = `action ${primary.id}: plugin output breaks a rule: depends on action ${missing.action} of batch ${missing.batch}, which does not exist; action failed`;
        return this.decision(batch, primary.id, { kind: 'invalid-output', plugin: this.config.rewritePlugin.join(', '), problems: [], message });
      }
      return this.decision(batch, primary.id, outcomes[i]!);
    });
    return this.breakCycles(batch, decisions);
  }

  private decision(batch: Batch, primaryId: string, outcome: RewriteOutcome): RewriteDecision {
    const primary = batch.actions.find((a) => a.id === primaryId)!;
    const meta = { batch: batch.id, action: primaryId };
    const base = { primaryId, message: outcome.message, source: 'plugin' };
    switch (outcome.kind) {
      case 'none':
        return { ...base, outcome: 'run', actions: [actionRecord(primary, primaryId, null)], board: null };
      case 'unchanged':
        this.logger.info(outcome.message, meta);
        return { ...base, outcome: 'run', actions: [actionRecord(primary, primaryId, null)], board: null };
      case 'rewritten':
        this.logger.info(outcome.message, meta);
        return {
          ...base,
          outcome: 'run',
          actions: outcome.actions.map((g) => actionRecord(readAction(g), primaryId, outcome.plugins.join(','))),
          board: null,
          event: { type: 'action.rewritten', plugin: outcome.plugins.join(',') },
        };
      case 'plugin-error':
        this.logger.error(outcome.message, { ...meta, plugin: outcome.plugin, code: outcome.code });
        return outcome.policy === 'primary'
          ? { ...base, outcome: 'run', actions: [actionRecord(primary, primaryId, null)], board: 'error', event: { type: 'plugin.failed', plugin: outcome.plugin } }
          : { ...base, outcome: 'fail', actions: [], board: 'error', event: { type: 'plugin.failed', plugin: outcome.plugin } };
      case 'invalid-output':
        this.logger.error(outcome.message, { ...meta, plugin: outcome.plugin });
        return { ...base, outcome: 'fail', actions: [], board: 'error', event: { type: 'plugin.failed', plugin: outcome.plugin } };
      case 'removed':
        this.logger.info(outcome.message, meta);
        return { ...base, outcome: 'removed', actions: [], board: 'info', event: { type: 'action.rewritten', plugin: outcome.plugin } };
    }
  }

  /**
   * Each plugin output was checked alone; outputs of different primaries may still wait for
   * each other in a circle. Such primaries fail, with the cycle named.
   */
  private breakCycles(batch: Batch, input: RewriteDecision[]): RewriteDecision[] {
    // Two outputs that fan out the same new id cannot both be stored: the later one fails.
    const seen = new Map<string, string>();
    const decisions = input.map((d) => {
      if (d.outcome !== 'run') return d;
      const clash = d.actions.find((a) => seen.has(a.id) && seen.get(a.id) !== d.primaryId);
      if (!clash) {
        for (const a of d.actions) seen.set(a.id, d.primaryId);
        return d;
      }
      const message = `action ${d.primaryId}: the plugin output reuses action id ${clash.id}, already produced for action ${seen.get(clash.id)}; action failed`;
      this.logger.error(message, { batch: batch.id, action: d.primaryId });
      return { ...d, outcome: 'fail' as const, actions: [], message, board: 'error' as const, event: { type: 'plugin.failed' as const, plugin: this.config.rewritePlugin.join(',') } };
    });
    const running = decisions.flatMap((d) => (d.outcome === 'run' ? d.actions.map((a) => ({ a, d })) : []));
    const graph = new DependencyGraph(running.map(({ a }) => ({ id: a.id, dependsOn: a.depends.filter((x) => x.batch === batch.id).map((x) => x.action) })));
    const cycles = graph.cycles();
    if (cycles.length === 0) return decisions;
    const owner = new Map(running.map(({ a, d }) => [a.id, d.primaryId]));
    const failed = new Map<string, string>();
    for (const c of cycles) for (const id of c) failed.set(owner.get(id)!, c.join(' -> '));
    return decisions.map((d) => {
      const cycle = failed.get(d.primaryId);
      if (!cycle) return d;
      const message = `action ${d.primaryId}: the rewritten batch has a dependency cycle: ${cycle}; action failed`;
      this.logger.error(message, { batch: batch.id, action: d.primaryId });
      return { ...d, outcome: 'fail', actions: [], message, board: 'error', event: { type: 'plugin.failed', plugin: this.config.rewritePlugin.join(',') } };
    });
  }
}
