import { isGroup, type KvGroup, type KvPair } from '../kvgroup/document.js';
import { findGroup } from '../kvgroup/helpers.js';
import { readDepends, type BadDependency, type Dependency } from './depends.js';
import { badActionMembers, badBatchMembers, type BadMember } from './members.js';

export type { BadDependency, Dependency } from './depends.js';
export type { BadMember } from './members.js';

/** The pairs an action may carry (contract §2), in the order tmon writes them. */
export const ACTION_KEYS = [
  'operation',
  'hostid',
  'userid',
  'accountid',
  'fname',
  'groupid',
  'groupname',
  'homeDir',
  'modelid',
  'modelHomeDir',
  'modelShare',
  'share',
  'newpw',
  'interactive',
  'replyid',
] as const;

export type ActionKey = (typeof ACTION_KEYS)[number];

/**
 * A typed view of one `"action"` group. It reads the group and never replaces it: `group` is
 * the document as submitted or rewritten, with everything a plugin or the workflow manager put
 * there, and it is what tmon stores, hands on and executes.
 */
export interface Action {
  id: string;
  /** The first value of each pair of the group (the contract keys and any others). */
  pairs: Record<string, string>;
  /** How many times each pair key occurs, so that an ambiguous action can be refused. */
  keyCounts: Record<string, number>;
  /** The pairs of the `"attributes" ""` group, first value of each. */
  attributes: Record<string, string>;
  depends: Dependency[];
  /** depends members that are not a dependency group (see depends.ts): reported by validation. */
  badDepends: BadDependency[];
  /** Groups or pairs the action holds that tmon does not understand (see members.ts): refused by validation. */
  badMembers: BadMember[];
  group: KvGroup;
}

export interface Batch {
  id: string;
  actions: Action[];
  /** The top-level group: the batch group and every context group (recipient, request, …). */
  root: KvGroup;
  /** The `"batch"` group inside `root`. */
  batchGroup: KvGroup;
  /** Members of the batch group that are not action groups: refused by validation. */
  badMembers: BadMember[];
}

function firstValues(members: KvGroup['members']): { values: Record<string, string>; counts: Record<string, number> } {
  const values: Record<string, string> = Object.create(null);
  const counts: Record<string, number> = Object.create(null);
  for (const m of members) {
    if (isGroup(m)) continue;
    const p = m as KvPair;
    if (counts[p.key] === undefined) {
      values[p.key] = p.value;
      counts[p.key] = 1;
    } else counts[p.key]!++;
  }
  return { values, counts };
}

export function readAction(group: KvGroup): Action {
  const { values, counts } = firstValues(group.members);
  const attrGroup = findGroup(group, 'attributes');
  const { depends, bad: badDepends } = readDepends(findGroup(group, 'depends'));
  return {
    id: group.name,
    pairs: values,
    keyCounts: counts,
    attributes: attrGroup ? firstValues(attrGroup.members).values : Object.create(null),
    depends,
    badDepends,
    badMembers: badActionMembers(group),
    group,
  };
}

/** The value of a contract key, `""` when absent. */
export function actionValue(action: Action, key: ActionKey): string {
  return action.pairs[key] ?? '';
}

export function isInteractive(action: Action): boolean {
  return action.pairs.interactive === 'true';
}

/** The `"batch"` groups of a top-level group. */
export function batchGroupsOf(root: KvGroup): KvGroup[] {
  return root.members.filter((m): m is KvGroup => isGroup(m) && m.type === 'batch');
}

/**
 * Reads a batch from its top-level group, or returns undefined when there is not exactly one
 * batch group (validation says why).
 */
export function readBatch(root: KvGroup): Batch | undefined {
  const groups = batchGroupsOf(root);
  if (groups.length !== 1) return undefined;
  const batchGroup = groups[0]!;
  const actions: Action[] = [];
  for (const m of batchGroup.members) if (isGroup(m) && m.type === 'action') actions.push(readAction(m));
  return { id: batchGroup.name, actions, root, batchGroup, badMembers: badBatchMembers(batchGroup) };
}

/**
 * The batch document cut down to one action: the same top-level group, every context group,
 * and a batch group holding only that action (what a rewrite plugin is given, contract §3).
 * The groups are shared, not copied: the caller copies when it means to change them.
 */
export function sliceForAction(batch: Batch, action: Action): KvGroup {
  const batchGroup: KvGroup = {
    type: batch.batchGroup.type,
    name: batch.batchGroup.name,
    members: batch.batchGroup.members.filter((m) => !(isGroup(m) && m.type === 'action') || m === action.group),
  };
  return {
    type: batch.root.type,
    name: batch.root.name,
    members: batch.root.members.map((m) => (m === batch.batchGroup ? batchGroup : m)),
  };
}
