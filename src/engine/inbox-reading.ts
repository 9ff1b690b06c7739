import { isInteractive, readBatch } from '../batch/index.js';
import { parseKvg } from '../kvgroup/index.js';
import { actionKey, type NewBatch, type Store } from '../store/index.js';

type Stored = Awaited<ReturnType<Store['insertBatches']>>;

/** A file of the inbox read and validated, waiting to be stored with its group. */
export interface Prepared {
  name: string;
  batch: NewBatch;
}

/** Whether a batch text holds an interactive action (a file that fails to parse says no: it waits). */
export function hasInteractiveWork(text: string): boolean {
  try {
    const batch = readBatch(parseKvg(text, { source: 'peek' })[0]!);
    return batch?.actions.some(isInteractive) ?? false;
  } catch {
    return false;
  }
}

/** The store's look-ups, with the batches of the group not yet stored counted as held. */
export function pendingLookups(store: Store, pending: readonly Prepared[]): Pick<Store, 'knownActions' | 'replyidHolders'> {
  return {
    knownActions: async (refs) => {
      const known = await store.knownActions(refs);
      for (const p of pending) for (const a of p.batch.actions) if (refs.some((r) => r.batch === p.batch.id && r.action === a.id)) known.add(actionKey(p.batch.id, a.id));
      return known;
    },
    replyidHolders: async (batchId, replyids) => {
      const holders = await store.replyidHolders(batchId, replyids);
      for (const p of pending) {
        if (p.batch.id === batchId) continue;
        for (const a of p.batch.actions) if (a.replyid !== '' && replyids.includes(a.replyid) && !holders.has(a.replyid)) holders.set(a.replyid, p.batch.id);
      }
      return holders;
    },
  };
}

/**
 * How files the watcher named while a backlog's group was read are stored: on their own, ahead
 * of that group (a new file waits for no backlog to be written with it), unless one of them
 * waits on a batch of the group, which must be held first, or has the id of one of its batches
 * (the earlier file is the one stored): then all go in together.
 */
export function arrivalGroups(held: readonly Prepared[], arrived: readonly Prepared[]): { now: Prepared[]; held: Prepared[] } {
  const ids = new Set(held.map((p) => p.batch.id));
  // A batch id held already goes after it too: the first file of an id is the one stored.
  const joined = arrived.some((p) => ids.has(p.batch.id) || p.batch.actions.some((a) => a.depends.some((d) => ids.has(d.batch))));
  return joined ? { now: [...held, ...arrived], held: [] } : { now: [...arrived], held: [...held] };
}

export const countActions = (group: readonly Prepared[]): number => group.reduce((n, p) => n + p.batch.actions.length, 0);

/** The interactive actions of the batches of `group` that were stored (`results`, in order), not duplicates or refused ones. */
export function interactiveStored(group: readonly Prepared[], results: Stored): Array<{ batchId: string; actionId: string }> {
  return group.flatMap((p, i) => {
    const r = results[i];
    return r?.ok && r.outcome.result === 'inserted' ? p.batch.actions.filter((a) => a.interactive).map((a) => ({ batchId: p.batch.id, actionId: a.id })) : [];
  });
}
