// Helpers shared by the example plugins. The leading "_" keeps tmon from loading this file as a
// plugin; plugins import it by relative path. Plain data in, plain data out: nothing here
// needs tmon, so a plugin folder can be copied anywhere.

/** @typedef {import('tmon').KvGroup} KvGroup */

/** The batch group and its first action (the primary) of a plugin's input. */
export function primaryOf(input) {
  const batch = input.members.find((m) => m.type === 'batch');
  const primary = batch?.members.find((m) => m.type === 'action');
  const operation = primary?.members.find((m) => m.key === 'operation')?.value;
  return { batch, primary, operation };
}

/** The output document: the input's top-level group with the verdict pairs first. */
export function verdict(input, changed, members = input.members) {
  return { ...input, members: [{ key: 'changed', value: changed ? 'true' : 'false' }, { key: 'retval', value: '0' }, ...members] };
}

/** The input document with its batch group holding `actions` instead. */
export function withActions(input, batch, actions) {
  return verdict(input, true, input.members.map((m) => (m === batch ? { ...batch, members: actions } : m)));
}

/** A copy of an action with pairs set (only pairs already there are changed). @type {(g: KvGroup, values: Record<string, string>) => KvGroup} */
export function withPairs(g, values) {
  return { ...g, members: g.members.map((m) => (m.key !== undefined && Object.hasOwn(values, m.key) ? { key: m.key, value: values[m.key] } : m)) };
}

/** A copy of an action with pairs set: those already there changed in place, the others added at the end. @type {(g: KvGroup, values: Record<string, string>) => KvGroup} */
export function setPairs(g, values) {
  const changed = withPairs(g, values);
  const there = new Set(g.members.filter((m) => m.key !== undefined).map((m) => m.key));
  const added = Object.entries(values).filter(([key]) => !there.has(key)).map(([key, value]) => ({ key, value }));
  const firstGroup = changed.members.findIndex((m) => m.key === undefined);
  // Pairs before groups, as a workflow manager writes them.
  const at = firstGroup < 0 ? changed.members.length : firstGroup;
  return { ...changed, members: [...changed.members.slice(0, at), ...added, ...changed.members.slice(at)] };
}

/**
 * A new action made from the primary: pairs set as given (added when the primary lacks them,
 * so a GRUD made from a DELU gets its groupid), no replyid or password, its own `groups`
 * (attributes, say) and a depends group waiting for the primary.
 */
export function fannedFrom(primary, batch, name, values, groups = []) {
  const base = withPairs(setPairs(primary, values), { replyid: '', newpw: '' });
  return {
    type: 'action',
    name,
    members: [
      ...base.members.filter((m) => m.type === undefined || (m.type !== 'depends' && !groups.some((g) => g.type === m.type))),
      ...groups,
      { type: 'depends', name: '', members: [{ type: 'local', name: '', members: [{ key: 'action', value: primary.name }, { key: 'batch', value: batch.name }] }] },
    ],
  };
}
