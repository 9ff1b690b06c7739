import { readAction } from '../../src/batch/index.js';
import { DirectoryConnector } from '../../src/connectors/index.js';
import { classify, type ConnectorResult } from '../../src/engine/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { actionGroup, type ActionSpec } from '../helpers/batches.js';

describe('directory connector (contract §5)', () => {
  let store: SqliteStore;
  let dir: DirectoryConnector;
  beforeEach(() => {
    store = new SqliteStore(':memory:');
    dir = new DirectoryConnector(store);
  });
  afterEach(() => store.close());

  let n = 0;
  const run = (spec: Omit<ActionSpec, 'id'>, recovery = false): Promise<ConnectorResult> =>
    dir.execute({ batchId: 'B', action: readAction(actionGroup('B', { id: `a${n++}`, host: 'AD', ...spec })), attempt: 1, recovery });
  const code = async (spec: Omit<ActionSpec, 'id'>, recovery = false) => {
    try {
      await run(spec, recovery);
      return 'ok';
    } catch (err) {
      return `${(err as { code: string }).code} ${classify(err)}`;
    }
  };
  const ann = async () => (await store.directory('AD')).AD?.ann;

  test('create, with the template groups, then every account operation', async () => {
    await run({ op: 'ACUA', user: 'tmpl' });
    await run({ op: 'GRUA', user: 'tmpl', group: 'staff' });
    await run({ op: 'GRUA', user: 'tmpl', group: 'vpn' });
    await run({ op: 'ACUA', user: 'ann', extra: { fname: 'Ann Example', accountid: 'ann.x', modelid: 'tmpl' }, attributes: { context: 'OU=People', mail: 'ann@x' } });
    expect(await ann()).toEqual({ accountid: 'ann.x', fname: 'Ann Example', enabled: true, locked: false, passwordExpired: false, context: 'OU=People', groups: ['staff', 'vpn'], attributes: { mail: 'ann@x' }, passwordChanges: 0 });
    await run({ op: 'DNAU', user: 'ann' });
    await run({ op: 'LOCK', user: 'ann' });
    await run({ op: 'AEXP', user: 'ann' });
    expect(await ann()).toMatchObject({ enabled: false, locked: true, passwordExpired: true });
    await run({ op: 'ENAU', user: 'ann' });
    await run({ op: 'ULCK', user: 'ann' });
    await run({ op: 'ACHG', user: 'ann', extra: { newpw: 'x' } });
    await run({ op: 'ACHG', user: 'ann', extra: { newpw: 'y' } });
    expect(await ann()).toMatchObject({ enabled: true, locked: false, passwordExpired: false, passwordChanges: 2 });
    await run({ op: 'UPDT', user: 'ann', attributes: { title: 'Boss' } });
    await run({ op: 'MVCU', user: 'ann', attributes: { context: 'OU=Leavers' } });
    await run({ op: 'GRUD', user: 'ann', group: 'vpn' });
    expect(await ann()).toMatchObject({ context: 'OU=Leavers', groups: ['staff'], attributes: { mail: 'ann@x', title: 'Boss' } });
    await run({ op: 'RENU', user: 'ann', attributes: { newuserid: 'anna' } });
    expect(Object.keys((await store.directory('AD')).AD!)).toEqual(['anna', 'tmpl']);
    await run({ op: 'DELU', user: 'anna' });
    expect(Object.keys((await store.directory('AD')).AD!)).toEqual(['tmpl']);
  });

  test('the failures a real directory gives: permanent; idempotent group membership is success', async () => {
    expect(await code({ op: 'DNAU', user: 'ghost' })).toBe('NO_SUCH_ACCOUNT permanent');
    expect(await code({ op: 'ACUA', user: 'ann' })).toBe('ok');
    expect(await code({ op: 'ACUA', user: 'ann' })).toBe('ACCOUNT_EXISTS permanent');
    expect(await code({ op: 'ACUA', user: 'bob', extra: { modelid: 'nobody' } })).toBe('NO_SUCH_TEMPLATE permanent');
    expect(await code({ op: 'CRTG', group: 'g1' })).toBe('ok');
    expect(await code({ op: 'CRTG', group: 'g1' })).toBe('GROUP_EXISTS permanent');
    expect(await code({ op: 'GRUA', user: 'ann', group: 'g2' })).toBe('ok'); // no CRTG needed first
    expect(await code({ op: 'GRUA', user: 'ann', group: 'g2' })).toBe('ok');
    expect(await code({ op: 'GRUD', user: 'ann', group: 'never' })).toBe('ok');
    expect(await code({ op: 'DELG', group: 'nothing-here' })).toBe('NO_SUCH_GROUP permanent');
    expect(await code({ op: 'FROB', user: 'ann' })).toBe('UNSUPPORTED_OPERATION permanent');
  });

  test('DELG removes the group from every account', async () => {
    for (const u of ['ann', 'bob']) {
      await run({ op: 'ACUA', user: u });
      await run({ op: 'GRUA', user: u, group: 'g' });
      await run({ op: 'GRUA', user: u, group: 'keep' });
    }
    const r = await run({ op: 'DELG', group: 'g' });
    expect(r.message).toBe('group g deleted (and removed from 2 accounts)');
    const d = (await store.directory('AD')).AD!;
    expect([d.ann!.groups, d.bob!.groups]).toEqual([['keep'], ['keep']]);
  });

  test('on a recovery, an effect already there counts as done', async () => {
    await run({ op: 'ACUA', user: 'ann' });
    expect(await code({ op: 'ACUA', user: 'ann' }, true)).toBe('ok');
    await run({ op: 'DELU', user: 'ann' });
    expect(await code({ op: 'DELU', user: 'ann' })).toBe('NO_SUCH_ACCOUNT permanent');
    expect(await code({ op: 'DELU', user: 'ann' }, true)).toBe('ok');
  });

  test('targets are separate directories', async () => {
    await run({ op: 'ACUA', user: 'ann' });
    await dir.execute({ batchId: 'B', action: readAction(actionGroup('B', { id: 'x', host: 'LDAP', op: 'ACUA', user: 'zed' })), attempt: 1, recovery: false });
    expect(Object.keys(await store.directory())).toEqual(['AD', 'LDAP']);
    expect(Object.keys((await store.directory('LDAP')).LDAP!)).toEqual(['zed']);
  });
});
