import { readAction, type Dependency } from '../../src/batch/index.js';
import { printKvg, type KvGroup } from '../../src/kvgroup/index.js';
import { actionRecord } from '../../src/engine/index.js';
import type { ActionRecord, NewBatch } from '../../src/store/index.js';

export interface ActionSpec {
  id: string;
  op?: string;
  host?: string;
  user?: string;
  group?: string;
  replyid?: string;
  interactive?: boolean;
  depends?: Array<string | Dependency>;
  attributes?: Record<string, string>;
  extra?: Record<string, string>;
}

/** An action group, built the way a workflow manager would write it. */
export function actionGroup(batch: string, a: ActionSpec): KvGroup {
  const pairs: Record<string, string> = {
    operation: a.op ?? 'NOOP',
    hostid: a.host ?? 'H1',
    userid: a.user ?? 'u1',
    groupid: a.group ?? '',
    interactive: a.interactive ? 'true' : 'false',
    replyid: a.replyid ?? '',
    ...a.extra,
  };
  const deps = (a.depends ?? []).map((d) => (typeof d === 'string' ? { batch, action: d } : d));
  return {
    type: 'action',
    name: a.id,
    members: [
      ...Object.entries(pairs).map(([key, value]) => ({ key, value })),
      ...(a.attributes ? [{ type: 'attributes', name: '', members: Object.entries(a.attributes).map(([key, value]) => ({ key, value })) }] : []),
      { type: 'depends', name: '', members: deps.map((d) => ({ type: 'local', name: '', members: [{ key: 'action', value: d.action }, { key: 'batch', value: d.batch }] })) },
    ],
  };
}

/** A batch document's text. */
export function batchText(batch: string, actions: ActionSpec[]): string {
  return printKvg({ type: '', name: '', members: [{ type: 'batch', name: batch, members: actions.map((a) => actionGroup(batch, a)) }] });
}

export function record(batch: string, a: ActionSpec): ActionRecord {
  return actionRecord(readAction(actionGroup(batch, a)), a.id, null);
}

/** A batch as the store takes it, without going through parsing. */
export function newBatch(id: string, actions: ActionSpec[], digest = `digest-${id}`): NewBatch {
  const context: KvGroup = { type: '', name: '', members: [{ type: 'batch', name: id, members: [] }] };
  return { id, document: batchText(id, actions), context, digest, source: `${id}.kvg`, actions: actions.map((a) => record(id, a)) };
}
