import { DependencyGraph, readBatch } from '../batch/index.js';
import { parseKvg } from '../kvgroup/index.js';
import type { RewriteDecision } from '../store/index.js';
import type { Rewriter } from './rewriter.js';

/**
 * `tmon rewrite`: the rewrite step for every action of a batch file at once, as if each were
 * about to run, with the checks the store makes when outputs join the graph (a fanned id used
 * twice, outputs that wait for each other in a circle). Executes nothing.
 */
export async function dryRunRewrite(rewriter: Rewriter, text: string, source: string): Promise<RewriteDecision[]> {
  const batch = readBatch(parseKvg(text, { source })[0]!)!;
  const decisions = await rewriter.decideBatch(batch);
  const fail = (d: RewriteDecision, why: string): RewriteDecision => ({ ...d, outcome: 'fail', actions: [], message: `action ${d.primaryId}: ${why}; action failed`, board: 'error' });
  const seen = new Map<string, string>();
  const checked = decisions.map((d) => {
    if (d.outcome !== 'replace') return d;
    const clash = d.actions.find((a) => a.id !== d.primaryId && seen.has(a.id));
    if (clash) return fail(d, `the plugin output reuses action id ${clash.id}, already held by action ${seen.get(clash.id)}'s rewrite`);
    for (const a of d.actions) seen.set(a.id, d.primaryId);
    return d;
  });
  const running = checked.flatMap((d) => (d.outcome === 'replace' ? d.actions.map((a) => ({ a, d })) : []));
  const graph = new DependencyGraph(running.map(({ a }) => ({ id: a.id, dependsOn: a.depends.filter((x) => x.batch === batch.id).map((x) => x.action) })));
  const owner = new Map(running.map(({ a, d }) => [a.id, d.primaryId]));
  const cyclic = new Map<string, string>();
  for (const c of graph.cycles()) for (const id of c) cyclic.set(owner.get(id)!, c.join(' -> '));
  return checked.map((d) => (cyclic.has(d.primaryId) ? fail(d, `the rewritten batch has a dependency cycle: ${cyclic.get(d.primaryId)}`) : d));
}
