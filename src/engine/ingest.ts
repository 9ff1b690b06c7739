import { createHash } from 'node:crypto';
import { actionProblem, actionValue, batchContext, BatchInvalidError, batchProblem, isInteractive, placedProblems, validateDocument, type Action, type Dependency } from '../batch/index.js';
import { isGroup, parseKvg, printKvg, type KvGroup } from '../kvgroup/index.js';
import { actionKey, type ActionRecord, type NewBatch, type Store } from '../store/index.js';

/** The record the store keeps of an action. */
export function actionRecord(a: Action, primaryId: string, plugin: string | null): ActionRecord {
  return {
    id: a.id,
    primaryId,
    plugin,
    operation: actionValue(a, 'operation'),
    hostid: actionValue(a, 'hostid'),
    userid: actionValue(a, 'userid'),
    replyid: actionValue(a, 'replyid'),
    interactive: isInteractive(a),
    document: a.group,
    depends: a.depends,
  };
}

/** The action groups of a parsed document's batch groups, counted before anything is built from them. */
function countActions(doc: KvGroup[]): number {
  let n = 0;
  for (const root of doc) for (const b of root.members) if (isGroup(b) && b.type === 'batch') for (const a of b.members) if (isGroup(a) && a.type === 'action') n++;
  return n;
}

/**
 * Parses and validates a batch's text, checking dependencies on other batches and replyids
 * (one per store, contract §4) against the store. Throws `KvgSyntaxError` or
 * `BatchInvalidError`; returns what to store.
 */
export async function prepareBatch(text: string, source: string, store?: Pick<Store, 'knownActions' | 'replyidHolders'>, limits: { maxActions?: number | undefined } = {}): Promise<NewBatch> {
  const doc = parseKvg(text, { source });
  const count = countActions(doc);
  if (limits.maxActions !== undefined && count > limits.maxActions) {
    throw new BatchInvalidError([batchProblem(null, 'BATCH_TOO_LARGE', `the batch holds ${count} actions, over the limit of ${limits.maxActions} (limits.actionsPerBatch); split it`)], source);
  }
  // Dependencies on other batches are looked up first, so that validation can stay synchronous;
  // a batch that names none (most) is validated once.
  const refs: Dependency[] = [];
  let { batch, problems } = validateDocument(doc, { lookup: (batch, action) => (refs.push({ batch, action }), true) });
  if (refs.length > 0) {
    const known = store ? await store.knownActions(refs) : new Set<string>();
    ({ batch, problems } = validateDocument(doc, { lookup: (b, a) => known.has(actionKey(b, a)) }));
  }
  // Refused: where in the file each problem is, when the check can tell (worth a second parse only now).
  if (!batch || problems.length > 0) throw new BatchInvalidError(placedProblems(problems, text, source), source);
  const replyids = batch.actions.map((a) => actionValue(a, 'replyid')).filter((r) => r !== '');
  const holders = store && replyids.length > 0 ? await store.replyidHolders(batch.id, replyids) : new Map<string, string>();
  if (holders.size > 0) {
    const taken = batch.actions.filter((a) => holders.has(actionValue(a, 'replyid')));
    throw new BatchInvalidError(
      taken.map((a) => actionProblem(batch.id, a.id, 'BATCH_REPLYID_TAKEN', `replyid "${actionValue(a, 'replyid')}" is already held by batch ${holders.get(actionValue(a, 'replyid'))}; a replyid can be used once`)),
      source,
    );
  }
  return {
    id: batch.id,
    document: text,
    context: batchContext(batch),
    digest: createHash('sha256').update(printKvg(doc)).digest('hex'),
    source,
    actions: batch.actions.map((a) => actionRecord(a, a.id, null)),
  };
}
