/**
 * The KVGroup document model. It is the JSON view of contract §1 itself: plain objects and
 * arrays, so a document crosses a worker-thread boundary by structured clone and reaches a
 * plugin without conversion, and `JSON.stringify` of a parsed group is its JSON view.
 *
 * Members keep their order, and several members may share a key or a type.
 */
export interface KvPair {
  key: string;
  value: string;
}

export interface KvGroup {
  type: string;
  name: string;
  members: KvMember[];
}

export type KvMember = KvPair | KvGroup;

/** A stream of top-level groups; a batch file holds exactly one. */
export type KvDocument = KvGroup[];

export function isGroup(member: KvMember): member is KvGroup {
  return (member as KvGroup).members !== undefined;
}

export function isPair(member: KvMember): member is KvPair {
  return (member as KvGroup).members === undefined;
}

export function pair(key: string, value: string): KvPair {
  return { key, value };
}

export function group(type: string, name: string, members: KvMember[] = []): KvGroup {
  return { type, name, members };
}
