import type { KvGroup } from '../kvgroup/index.js';
import { readBatch, type Action, type Batch } from './model.js';
import { actionProblem, batchProblem, type Problem } from './problem.js';
import { validateBatch, type ValidateOptions } from './validate.js';

/** What a rewrite plugin was given: one primary action of a batch. */
export interface RewriteInput {
  batch: Batch;
  primary: Action;
}

export interface RewriteCheck {
  /** The output read as a batch, when it could be. */
  output?: Batch;
  /** False when the output no longer holds the primary action (the plugin removed it). */
  primaryKept: boolean;
  problems: Problem[];
}

/**
 * The rules a plugin's parsed output must keep (contract §3): the batch id unchanged; the
 * primary action's id and replyid unchanged (or the primary removed); no replyid on a fanned
 * action; fanned ids new in the batch; and the output valid as a batch, its dependencies
 * pointing at actions of the output, of the rest of the batch, or (through `lookup`) of
 * another batch tmon holds.
 */
export function checkRewriteOutput(input: RewriteInput, outputRoot: KvGroup, options: ValidateOptions = {}): RewriteCheck {
  const { batch, primary } = input;
  const output = readBatch(outputRoot);
  if (!output) {
    return {
      primaryKept: false,
      problems: [actionProblem(batch.id, primary.id, 'BATCH_NOT_ONE_BATCH', 'the plugin output does not hold exactly one "batch" group')],
    };
  }
  const problems: Problem[] = [];
  if (output.id !== batch.id) {
    problems.push(batchProblem(batch.id, 'REWRITE_BATCH_CHANGED', `the plugin changed the batch id to "${output.id}" (rewriting action ${primary.id})`));
  }
  const others = new Set(batch.actions.filter((a) => a !== primary).map((a) => a.id));
  const replyid = primary.pairs.replyid ?? '';
  const kept = output.actions.find((a) => a.id === primary.id);
  if (kept && (kept.pairs.replyid ?? '') !== replyid) {
    problems.push(actionProblem(batch.id, primary.id, 'REWRITE_REPLYID_CHANGED', `the plugin changed the replyid from "${replyid}" to "${kept.pairs.replyid ?? ''}"`));
  }
  for (const a of output.actions) {
    if (a.id === primary.id) continue;
    const r = a.pairs.replyid ?? '';
    if (r !== '' && r === replyid && !kept) {
      problems.push(actionProblem(batch.id, primary.id, 'REWRITE_PRIMARY_CHANGED', `the plugin changed the primary action's id to "${a.id}"`));
    } else if (r !== '') {
      problems.push(actionProblem(batch.id, a.id, 'REWRITE_REPLYID_INVENTED', `a fanned-out action may not carry a replyid ("${r}")`));
    }
    if (others.has(a.id)) {
      problems.push(actionProblem(batch.id, a.id, 'REWRITE_ID_TAKEN', 'the fanned-out action reuses the id of another action of the batch'));
    }
  }
  const outer = options.lookup;
  problems.push(
    ...validateBatch(output, {
      ...options,
      lookup: (b, a) => (b === batch.id && others.has(a)) || (outer?.(b, a) ?? false),
    }).filter((p) => p.code !== 'BATCH_NO_ACTIONS'),
  );
  return { output, primaryKept: kept !== undefined, problems };
}
