import { createHash } from 'node:crypto';
import { actionValue, BatchInvalidError, isInteractive, validateDocument, type Action, type Dependency } from '../batch/index.js';
import { parseKvg, printKvg } from '../kvgroup/index.js';
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

/**
 * Parses and validates a batch's text, checking dependencies on other batches against the
 * store. Throws `KvgSyntaxError` or `BatchInvalidError`; returns what to store.
 */
export async function prepareBatch(text: string, source: string, store?: Pick<Store, 'knownActions'>): Promise<NewBatch> {
  const doc = parseKvg(text, { source });
  // Dependencies on other batches are looked up first, so that validation can stay synchronous.
  const refs: Dependency[] = [];
  validateDocument(doc, { lookup: (batch, action) => (refs.push({ batch, action }), true) });
  const known = store ? await store.knownActions(refs) : new Set<string>();
  const { batch, problems } = validateDocument(doc, { lookup: (b, a) => known.has(actionKey(b, a)) });
  if (!batch || problems.length > 0) throw new BatchInvalidError(problems, source);
  return {
    id: batch.id,
    document: text,
    digest: createHash('sha256').update(printKvg(doc)).digest('hex'),
    source,
    actions: batch.actions.map((a) => actionRecord(a, a.id, null)),
  };
}
