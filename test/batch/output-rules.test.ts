import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRewriteOutput, readBatch, type Batch } from '../../src/batch/index.js';
import { cloneGroup, findGroup, parseKvg, setValue, type KvGroup } from '../../src/kvgroup/index.js';
import { ROOT } from '../helpers/cli.js';

const read = (f: string): KvGroup => parseKvg(readFileSync(join(ROOT, f), 'utf8'))[0]!;
const input = (): { batch: Batch; primary: Batch['actions'][number] } => {
  const batch = readBatch(read('fixtures/delu-input.kvg'))!;
  return { batch, primary: batch.actions[0]! };
};
const output = () => read('fixtures/delu-output.kvg');
const batchOf = (root: KvGroup) => findGroup(root, 'batch')!;
const fanned = (root: KvGroup) => batchOf(root).members[1] as KvGroup;
const codes = (root: KvGroup) => checkRewriteOutput(input(), root).problems.map((p) => p.code);

describe('rewrite output rules (contract §3)', () => {
  test('the reference output keeps every rule', () => {
    const check = checkRewriteOutput(input(), output());
    expect(check.problems).toEqual([]);
    expect(check.primaryKept).toBe(true);
    expect(check.output?.actions.map((a) => a.id)).toEqual(['20070503-113234-00_0', '20070503-113234-00_2']);
  });

  test('batch id changed', () => {
    const o = output();
    batchOf(o).name = 'OTHER';
    const p = checkRewriteOutput(input(), o).problems;
    expect(p[0]).toMatchObject({ code: 'REWRITE_BATCH_CHANGED', message: 'batch 20070503-113234-00: the plugin changed the batch id to "OTHER" (rewriting action 20070503-113234-00_0)' });
  });

  test('primary replyid changed', () => {
    const o = output();
    setValue(batchOf(o).members[0] as KvGroup, 'replyid', 'someone-else');
    expect(codes(o)).toEqual(['REWRITE_REPLYID_CHANGED']);
  });

  test('primary id changed (its replyid moved to a new id)', () => {
    const o = output();
    (batchOf(o).members[0] as KvGroup).name = 'renamed';
    // The fanned action depended on the old id, which is now unknown as well.
    expect(codes(o)).toEqual(['REWRITE_PRIMARY_CHANGED', 'BATCH_UNKNOWN_DEPENDENCY']);
  });

  test('a replyid on a fanned action is invented', () => {
    const o = output();
    setValue(fanned(o), 'replyid', 'new-reply');
    expect(checkRewriteOutput(input(), o).problems.map((p) => p.message)).toEqual([
      'action 20070503-113234-00_2: a fanned-out action may not carry a replyid ("new-reply")',
    ]);
  });

  test('duplicate ids, and an id taken from another action of the batch', () => {
    const o = output();
    batchOf(o).members.push(cloneGroup(fanned(o)));
    expect(codes(o)).toEqual(['BATCH_DUPLICATE_ACTION']);
    const batch = readBatch(read('fixtures/delu-input.kvg'))!;
    const other = cloneGroup(batch.actions[0]!.group);
    other.name = '20070503-113234-00_2';
    batch.batchGroup.members.push(other);
    const withOther = readBatch(batch.root)!;
    expect(checkRewriteOutput({ batch: withOther, primary: withOther.actions[0]! }, output()).problems.map((p) => p.code)).toEqual([
      'REWRITE_ID_TAKEN',
    ]);
  });

  test('depends on an unknown action, a cycle, a missing key', () => {
    const o = output();
    const local = findGroup(findGroup(fanned(o), 'depends')!, 'local')!;
    setValue(local, 'action', 'ghost');
    expect(codes(o)).toEqual(['BATCH_UNKNOWN_DEPENDENCY']);
    const c = output();
    const primary = batchOf(c).members[0] as KvGroup;
    findGroup(primary, 'depends')!.members.push({ type: 'local', name: '', members: [{ key: 'action', value: '20070503-113234-00_2' }, { key: 'batch', value: '20070503-113234-00' }] });
    expect(checkRewriteOutput(input(), c).problems.map((p) => p.message)).toEqual([
      'action 20070503-113234-00_0: dependency cycle: 20070503-113234-00_0 -> 20070503-113234-00_2 -> 20070503-113234-00_0',
    ]);
    const m = output();
    setValue(fanned(m), 'groupid', '');
    expect(codes(m)).toEqual(['BATCH_MISSING_KEY']);
  });

  test('removing the primary and fanning out nothing is allowed, and said', () => {
    const o = output();
    batchOf(o).members = [];
    const check = checkRewriteOutput(input(), o);
    expect(check.problems).toEqual([]);
    expect(check.primaryKept).toBe(false);
    expect(check.output?.actions).toEqual([]);
  });
});
