import type { KvDocument, SourcePosition } from '../kvgroup/index.js';
import { DependencyGraph } from './graph.js';
import { ACTION_KEYS, batchGroupsOf, readBatch, type Batch } from './model.js';
import { OPERATIONS, type OperationTable } from './operations.js';
import { actionProblem, batchProblem, type Problem } from './problem.js';
import { actionFaults } from './schema.js';

export interface ValidateOptions {
  operations?: OperationTable;
  /**
   * Whether tmon holds action `action` of batch `batch`, for dependencies on actions that are
   * not in the batch being checked (another batch's, or, for a plugin's output, the rest of
   * its batch). Without it, such a dependency is unknown.
   */
  lookup?: (batch: string, action: string) => boolean;
}

const placed = (problem: Problem, p: SourcePosition | undefined): Problem => (p ? { ...problem, line: p.line, column: p.column } : problem);

/**
 * Every problem of a batch (contract §2), each said once, in document order; an empty list
 * means the batch may be accepted.
 */
export function validateBatch(batch: Batch, options: ValidateOptions = {}): Problem[] {
  const table = options.operations ?? OPERATIONS;
  const problems: Problem[] = [];
  const b = batch.id;
  if (batch.actions.length === 0) problems.push(batchProblem(b, 'BATCH_NO_ACTIONS', 'holds no action'));
  for (const bad of batch.badMembers) problems.push(placed(batchProblem(b, 'BATCH_BAD_MEMBER', bad.what), bad.position));

  const idCounts = new Map<string, number>();
  for (const a of batch.actions) idCounts.set(a.id, (idCounts.get(a.id) ?? 0) + 1);
  for (const [id, count] of idCounts) {
    if (count > 1) problems.push(actionProblem(b, id, 'BATCH_DUPLICATE_ACTION', `the action id is used by ${count} actions`));
  }

  const replyOwners = new Map<string, string>();
  for (const a of batch.actions) {
    const say = (code: Problem['code'], what: string): void => void problems.push(actionProblem(b, a.id, code, what));
    for (const key of ACTION_KEYS) {
      const n = a.keyCounts[key] ?? 0;
      if (n > 1) say('BATCH_DUPLICATE_KEY', `"${key}" is given ${n} times`);
    }
    const op = a.pairs.operation ?? '';
    if (op === '') say('BATCH_MISSING_KEY', 'needs "operation"');
    else if (!Object.hasOwn(table, op)) say('BATCH_UNKNOWN_OPERATION', `unknown operation "${op}"`);
    for (const f of actionFaults(table, a)) {
      if (f.kind === 'interactive') say('BATCH_BAD_INTERACTIVE', `interactive must be "true", "false" or empty, not "${f.value}"`);
      else if (op !== '') say('BATCH_MISSING_KEY', `operation ${op} needs "${f.key}"`);
    }
    const replyid = a.pairs.replyid ?? '';
    if (replyid !== '') {
      const owner = replyOwners.get(replyid);
      if (owner !== undefined) say('BATCH_DUPLICATE_REPLYID', `replyid "${replyid}" is already used by action ${owner}`);
      else replyOwners.set(replyid, a.id);
    }
    for (const bad of a.badMembers) problems.push(placed(actionProblem(b, a.id, 'BATCH_BAD_MEMBER', bad.what), bad.position));
    for (const bad of a.badDepends) {
      problems.push(placed(actionProblem(b, a.id, 'BATCH_BAD_DEPENDS', `depends entry ${bad.index} ${bad.what}`), bad.position));
    }
    for (const d of a.depends) {
      const known = (d.batch === b && idCounts.has(d.action)) || (options.lookup?.(d.batch, d.action) ?? false);
      if (!known) say('BATCH_UNKNOWN_DEPENDENCY', `depends on action ${d.action} of batch ${d.batch}, which does not exist`);
    }
  }

  const graph = new DependencyGraph(
    batch.actions.map((a) => ({ id: a.id, dependsOn: a.depends.filter((d) => d.batch === b).map((d) => d.action) })),
  );
  for (const cycle of graph.cycles()) {
    problems.push(actionProblem(b, cycle[0]!, 'BATCH_CYCLE', `dependency cycle: ${cycle.join(' -> ')}`));
  }
  return problems;
}

/**
 * Checks a parsed batch document: exactly one top-level group holding exactly one batch
 * group, then `validateBatch`. Returns the batch when it could be read at all.
 */
export function validateDocument(doc: KvDocument, options: ValidateOptions = {}): { batch?: Batch; problems: Problem[] } {
  if (doc.length !== 1) {
    return { problems: [batchProblem(null, 'BATCH_DOCUMENT', `holds ${doc.length} top-level groups; a batch document holds exactly one`)] };
  }
  const root = doc[0]!;
  const batch = readBatch(root);
  if (!batch) {
    const n = batchGroupsOf(root).length;
    return { problems: [batchProblem(null, 'BATCH_NOT_ONE_BATCH', `the top-level group must hold exactly one "batch" group, not ${n}`)] };
  }
  return { batch, problems: validateBatch(batch, options) };
}
