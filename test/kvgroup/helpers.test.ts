import {
  addGroup,
  addMember,
  cloneGroup,
  findGroup,
  findGroups,
  getValue,
  getValues,
  pairsOf,
  parseKvg,
  printKvg,
  removeMembers,
  setValue,
} from '../../src/index.js';

const doc = () =>
  parseKvg(`"action" "a1" = {
    "operation" = "DELU"
    "member" = "x"
    "member" = "y"
    "depends" "" = { }
    "attributes" "" = { "context" = "OU=A" }
    "attributes" "second" = { }
  }`)[0]!;

describe('plugin-author helpers (exported from the package root)', () => {
  test('find pairs by key: the first value, or all of them in order', () => {
    const g = doc();
    expect(getValue(g, 'operation')).toBe('DELU');
    expect(getValue(g, 'missing')).toBeUndefined();
    expect(getValues(g, 'member')).toEqual(['x', 'y']);
    expect(pairsOf(g).map((p) => p.key)).toEqual(['operation', 'member', 'member']);
  });

  test('find groups by type, and by type and name', () => {
    const g = doc();
    expect(findGroup(g, 'attributes')?.members).toEqual([{ key: 'context', value: 'OU=A' }]);
    expect(findGroup(g, 'attributes', 'second')?.name).toBe('second');
    expect(findGroup(g, 'nope')).toBeUndefined();
    expect(findGroups(g, 'attributes')).toHaveLength(2);
  });

  test('set a pair: changes the first of that key, or appends a new one', () => {
    const g = doc();
    setValue(g, 'operation', 'DNAU');
    setValue(g, 'hostid', 'AD');
    expect(getValue(g, 'operation')).toBe('DNAU');
    expect(g.members.at(-1)).toEqual({ key: 'hostid', value: 'AD' });
  });

  test('add a group or member, remove members, and clone without sharing', () => {
    const g = doc();
    const copy = cloneGroup(g);
    const local = addGroup(findGroup(g, 'depends')!, 'local', '');
    addMember(local, { key: 'action', value: 'a0' });
    expect(printKvg(findGroup(g, 'depends')!)).toBe('"depends" "" = {\n  "local" "" = {\n    "action" = "a0"\n  }\n}\n');
    expect(findGroup(copy, 'depends')!.members).toEqual([]);
    expect(removeMembers(g, (m) => 'key' in m && m.key === 'member')).toBe(2);
    expect(getValues(g, 'member')).toEqual([]);
  });
});
