import { isGroup, type KvGroup } from '../kvgroup/document.js';
import type { Batch } from './model.js';

/**
 * The batch's top-level group without its actions: every context group (recipient, request, …)
 * and the batch group's own pairs. The store keeps it so that a plugin can be given one action
 * in its batch's context when that action is about to run (contract §3).
 */
export function batchContext(batch: Batch): KvGroup {
  const batchGroup = { ...batch.batchGroup, members: batch.batchGroup.members.filter((m) => !(isGroup(m) && m.type === 'action')) };
  return { ...batch.root, members: batch.root.members.map((m) => (m === batch.batchGroup ? batchGroup : m)) };
}
