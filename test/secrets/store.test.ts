import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAction } from '../../src/batch/index.js';
import { actionRecord, prepareBatch } from '../../src/engine/index.js';
import { parseKvg, printKvg, type KvGroup } from '../../src/kvgroup/index.js';
import { SecretBox } from '../../src/secrets/index.js';
import { SqliteStore, storeHoldsSealedPasswords, type RewriteDecision } from '../../src/store/index.js';
import { actionGroup, type ActionSpec } from '../helpers/batches.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';
import { storeConformance } from '../store/conformance.js';

const K1 = new SecretBox(Buffer.alloc(32, 1), { source: 'K1' });
const K2 = new SecretBox(Buffer.alloc(32, 2), { source: 'K2' });

const PW = { ctx: 'CtxPw-5150', a: 'PwA-4821', b: 'PwB-9377', c: 'PwC-6203', fan: 'PwFan-3318' };

/** A batch text with a password in its request context and in each action given one. */
function batchWithPasswords(id: string, actions: ActionSpec[], contextPw = PW.ctx): string {
  const root: KvGroup = {
    type: '',
    name: '',
    members: [
      { type: 'request', name: '', members: [{ key: 'requester', value: 'hr' }, ...(contextPw ? [{ key: 'newpw', value: contextPw }] : [])] },
      { type: 'batch', name: id, members: actions.map((a) => actionGroup(id, a)) },
    ],
  };
  return printKvg(root);
}

const withPw = (id: string, pw: string, more: Partial<ActionSpec> = {}): ActionSpec => ({ id, op: 'ACHG', user: id, replyid: `r-${id}`, extra: { newpw: pw }, ...more });

/** Every byte tmon keeps of the store: the database, its WAL and its shared memory. */
function storeBytes(db: string): Buffer {
  return Buffer.concat([db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

function expectNone(bytes: Buffer | string, passwords: readonly string[]): void {
  const text = Buffer.isBuffer(bytes) ? bytes.toString('latin1') : bytes;
  for (const pw of passwords) expect([pw, text.includes(pw)]).toEqual([pw, false]);
}

const raw = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return {
      actions: db.prepare('SELECT id, state, document, submitted, secrets_wiped FROM actions ORDER BY queue_seq').all() as Array<{ id: string; state: string; document: string; submitted: string | null; secrets_wiped: number }>,
      batches: db.prepare('SELECT id, state, document, digest, context, secrets_wiped FROM batches ORDER BY id').all() as Array<{ id: string; document: string; digest: string; context: string; secrets_wiped: number }>,
    };
  } finally {
    db.close();
  }
};

const passwordOf = (doc: KvGroup): string | undefined => {
  for (const m of doc.members) if ('key' in m && m.key === 'newpw') return m.value;
  return undefined;
};

const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
const bad = { state: 'failed' as const, retval: '7', message: 'refused by target' };
const claimAll = (store: SqliteStore, rewrite = false) => store.claimRunnable(Date.now(), () => 100, 100, rewrite);

storeConformance('SQLite with a secret key', async (options = {}) => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'tmon.db'), { ...options, secrets: K1 });
  return {
    store,
    close: async () => {
      await store.close();
      dir.cleanup();
    },
  };
});

describe('passwords at rest in the store (issue 15)', () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir.path, 'tmon.db');
  });
  afterEach(() => dir.cleanup());

  test('a store opened with a key in a process that has not loaded the parser refuses at once, whatever it holds; openStore loads it', () => {
    // A fresh process (this one has the parser): the built store alone, then through openStore.
    const run = (code: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DB: path } });
    const box = `const { SecretBox } = await import('./dist/secrets/index.js'); const key = new SecretBox(SecretBox.newKey());`;
    const direct = run(`${box} const { SqliteStore } = await import('./dist/store/sqlite/store.js'); new SqliteStore(process.env.DB, { secrets: key });`);
    expect(direct.status).not.toBe(0);
    expect(direct.stderr).toContain('a store opened with a secret key needs the KVGroup parser loaded first');
    const opened = run(`${box} const { openStore } = await import('./dist/store/open.js'); const s = await openStore({ kind: 'sqlite' }, process.env.DB, { secrets: key }); await s.close(); console.log('opened');`);
    expect([opened.status, opened.stdout, opened.stderr]).toEqual([0, 'opened\n', '']);
  });

  test('sealed before they are written (ingest, plugin output), opened only in claims, wiped once final; the file never holds one', async () => {
    const store = new SqliteStore(path, { secrets: K1 });
    expect(store.keyAdoption).toBe('new');
    const text = batchWithPasswords('S', [withPw('a', PW.a), withPw('b', PW.b), withPw('c', PW.c, { depends: ['b'] })]);
    const batch = await prepareBatch(text, 'S.kvg');
    expect((await store.insertBatch(batch)).result).toBe('inserted');
    const all = Object.values(PW);
    expectNone(storeBytes(path), all);

    // Stored sealed: every newpw value, the batch text whole, the context; the digest keyed.
    const stored = raw(path);
    for (const a of stored.actions) expect(passwordOf(JSON.parse(a.document) as KvGroup)).toMatch(/^tmon:v1:/);
    expect(stored.batches[0]!.document).toMatch(/^tmon:v1:/);
    expect(K1.open(stored.batches[0]!.document)).toBe(text);
    expect(stored.batches[0]!.context).toContain('"newpw","value":"tmon:v1:');
    expect(stored.batches[0]!.digest).toBe(K1.digest(batch.digest));

    // The claims for the plugin carry them in plain text, the context too.
    const claims = await claimAll(store, true);
    expect(claims.map((c) => [c.id, passwordOf(c.document)])).toEqual([
      ['a', PW.a],
      ['b', PW.b],
    ]);
    const request = claims[0]!.context!.members.find((m): m is KvGroup => 'members' in m && m.type === 'request')!;
    expect(passwordOf(request)).toBe(PW.ctx);

    // A plugin keeps a and fans out a2 with a copy of its password (nested); b runs as it is.
    const kept = actionRecord(readAction(actionGroup('S', withPw('a', PW.a))), 'a', 'p');
    const fanGroup = actionGroup('S', { id: 'a2', op: 'UPDT', user: 'a', attributes: { mail: 'a@x' } });
    fanGroup.members.push({ type: 'extra', name: '', members: [{ key: 'newpw', value: PW.fan }] });
    const fanned = actionRecord(readAction(fanGroup), 'a', 'p');
    const decisions: RewriteDecision[] = [
      { batchId: 'S', primaryId: 'a', outcome: 'replace', actions: [kept, fanned], message: 'rewritten', board: null, source: 'plugin', event: { type: 'action.rewritten', plugin: 'p' } },
      { batchId: 'S', primaryId: 'b', outcome: 'run', actions: [], message: 'unchanged', board: null, source: 'plugin' },
    ];
    await store.applyRewrites(decisions);
    expectNone(storeBytes(path), all);
    const afterRewrite = raw(path).actions.find((a) => a.id === 'a')!;
    expect(afterRewrite.submitted).toContain('"newpw","value":"tmon:v1:');

    const next = await claimAll(store, true);
    const nested = (c: (typeof next)[number]) => passwordOf(c.document) ?? passwordOf(c.document.members.find((m): m is KvGroup => 'members' in m && m.type === 'extra')!);
    // b, left as it was by its plugin, is claimed for its connector with the others.
    expect(next.map((c) => [c.id, nested(c)]).sort()).toEqual([
      ['a', PW.a],
      ['a2', PW.fan],
      ['b', PW.b],
    ]);

    // a succeeds, a2 and b fail, so c is skipped: everything final, every password wiped.
    await store.completeActions([
      { batchId: 'S', actionId: 'a', result: ok },
      { batchId: 'S', actionId: 'a2', result: bad },
      { batchId: 'S', actionId: 'b', result: bad },
    ]);
    const detail = (await store.batchDetail('S'))!;
    expect(detail.state).toBe('failed');
    expect(Object.fromEntries(detail.actions.map((a) => [a.id, a.state]))).toEqual({ a: 'succeeded', a2: 'failed', b: 'failed', c: 'skipped' });
    const final = raw(path);
    for (const a of final.actions) {
      expect([a.id, a.document.includes('tmon:v1:'), a.submitted?.includes('tmon:v1:') ?? false, a.secrets_wiped]).toEqual([a.id, false, false, 1]);
      expect(a.document).toContain('"key":"newpw","value":""');
    }
    const b = final.batches[0]!;
    expect(b.secrets_wiped).toBe(1);
    expect(b.context).toContain('"key":"newpw","value":""');
    // The text is rebuilt without passwords: the context and the actions as submitted.
    const rebuilt = parseKvg(b.document)[0]!;
    expect(printKvg(rebuilt)).toContain('"newpw" = ""');
    expect(rebuilt.members.map((m) => ('members' in m ? `${m.type} ${m.name}` : m.key))).toEqual(['request ', 'batch S']);
    expect(storeHoldsSealedPasswords(path)).toBe(false);
    expectNone(JSON.stringify(final), all);

    // Retrying what lost its password is refused, and changes nothing.
    const refusedB = await store.retryAction('S', 'b', '');
    expect(refusedB).toEqual({ ok: false, reason: expect.stringMatching(/action b of batch S held a password \(newpw\), wiped from the store when it ended; it cannot run again without it: submit it again in a new batch/) });
    const refusedA2 = await store.retryAction('S', 'a2', '');
    expect(refusedA2).toMatchObject({ ok: false, reason: expect.stringContaining('action a2 of batch S held a password') });
    expect(raw(path)).toEqual(final);
    expect(await claimAll(store)).toEqual([]);

    await store.close();
    expectNone(storeBytes(path), all);
  });

  test('a batch holding passwords is held under a keyed digest: the same again is a duplicate, another password a conflict', async () => {
    const store = new SqliteStore(path, { secrets: K1 });
    const text = batchWithPasswords('D', [withPw('a', PW.a)], '');
    expect((await store.insertBatch(await prepareBatch(text, 'D.kvg'))).result).toBe('inserted');
    expect((await store.insertBatch(await prepareBatch(text, 'D.kvg'))).result).toBe('duplicate');
    expect((await store.insertBatch(await prepareBatch(text.replace(PW.a, 'Other-Pw-1'), 'D.kvg'))).result).toBe('conflict');
    const digest = await store.batchDigest('D');
    expect(digest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    // A batch without passwords keeps its plain digest (tmon submit compares it without the key).
    const plain = await prepareBatch(batchWithPasswords('P', [{ id: 'x', op: 'NOOP' }], ''), 'P.kvg');
    await store.insertBatch(plain);
    expect(await store.batchDigest('P')).toBe(plain.digest);
    expect(raw(path).batches.find((b) => b.id === 'P')!.document).toBe(plain.document);
    await store.close();
  });

  test('a retry that runs nothing which lost a password goes ahead', async () => {
    const store = new SqliteStore(path, { secrets: K1 });
    await store.insertBatch(await prepareBatch(batchWithPasswords('R', [{ id: 'x', op: 'NOOP' }, withPw('y', PW.a)], ''), 'R.kvg'));
    await claimAll(store);
    await store.completeActions([
      { batchId: 'R', actionId: 'x', result: bad },
      { batchId: 'R', actionId: 'y', result: ok },
    ]);
    expect(await store.retryAction('R', 'x', '')).toMatchObject({ ok: true, actions: ['x'] });
    expect((await claimAll(store)).map((c) => c.id)).toEqual(['x']);
    await store.close();
  });

  test('another key is refused while the store holds anything sealed; without a key passwords are neither written nor handed out, but a cancel wipes them', async () => {
    const first = new SqliteStore(path, { secrets: K1 });
    await first.insertBatch(await prepareBatch(batchWithPasswords('W', [withPw('a', PW.a), withPw('b', PW.b)]), 'W.kvg'));
    await first.close();
    expect(storeHoldsSealedPasswords(path)).toBe(true);

    expect(() => new SqliteStore(path, { secrets: K2 })).toThrow(
      expect.objectContaining({ code: 'SECRET_KEY_WRONG', message: expect.stringMatching(/the secret key from K2 is not the key of .*tmon.db: 3 action\(s\) or batch\(es\) there hold passwords sealed with another one/) }),
    );

    // No key (the CLI applying an operator's command with no daemon running).
    const keyless = new SqliteStore(path, { mustExist: true });
    await expect(keyless.insertBatch(await prepareBatch(batchWithPasswords('N', [withPw('n', PW.c)], ''), 'N.kvg'))).rejects.toMatchObject({ code: 'SECRET_KEY_NEEDED' });
    await expect(claimAll(keyless)).rejects.toMatchObject({ code: 'SECRET_KEY_NEEDED' });
    expect(await keyless.cancelBatch('W', '')).toMatchObject({ ok: true, actions: ['a', 'b'] });
    await keyless.close();
    expect(storeHoldsSealedPasswords(path)).toBe(false);
    expectNone(JSON.stringify(raw(path)), Object.values(PW));

    // Nothing sealed is left: a new key replaces the old one.
    const rekeyed = new SqliteStore(path, { secrets: K2 });
    expect(rekeyed.keyAdoption).toBe('rekeyed');
    await rekeyed.close();
    const again = new SqliteStore(path, { secrets: K2 });
    expect(again.keyAdoption).toBe('verified');
    await again.close();
  });

  test('a store written before sealing: its plain-text passwords are sealed (open work) or wiped (final), and the file keeps no trace of them', async () => {
    // What a tmon before issue 15 left: every password in plain text.
    const old = new SqliteStore(path);
    await old.insertBatch(await prepareBatch(batchWithPasswords('OPEN', [withPw('a', PW.a)]), 'OPEN.kvg'));
    await old.insertBatch(await prepareBatch(batchWithPasswords('DONE', [withPw('b', PW.b)], PW.c), 'DONE.kvg'));
    await old.claimRunnable(Date.now(), () => 1, 1);
    const db = new Database(path);
    db.exec(`UPDATE actions SET state = 'failed', runnable_at = NULL WHERE batch_id = 'DONE'; UPDATE batches SET state = 'failed' WHERE id = 'DONE'; UPDATE actions SET state = 'ready', runnable_at = 0 WHERE batch_id = 'OPEN'`);
    db.close();
    await old.close();
    expect(storeBytes(path).toString('latin1')).toContain(PW.a);

    const store = new SqliteStore(path, { secrets: K1 });
    expect(store.keyAdoption).toBe('sealed');
    expect(store.vacuumError).toBeUndefined();
    expectNone(storeBytes(path), Object.values(PW));
    const rows = raw(path);
    expect(rows.batches.find((b) => b.id === 'OPEN')!.document).toMatch(/^tmon:v1:/);
    const done = rows.batches.find((b) => b.id === 'DONE')!;
    expect(done).toMatchObject({ secrets_wiped: 1 });
    expect(done.document).toContain('"newpw" = ""');
    expect(rows.actions.find((a) => a.id === 'b')!.secrets_wiped).toBe(1);
    expect((await store.retryAction('DONE', 'b', '')).ok).toBe(false);
    const claims = await claimAll(store, true);
    expect(claims.map((c) => [c.id, passwordOf(c.document)])).toEqual([['a', PW.a]]);
    await store.close();
    expectNone(storeBytes(path), Object.values(PW));
  });

  test('a password that does not open fails its action alone, said on the board; the turn goes on', async () => {
    const store = new SqliteStore(path, { secrets: K1 });
    await store.insertBatch(await prepareBatch(batchWithPasswords('T', [withPw('a', PW.a), withPw('b', PW.b)], ''), 'T.kvg'));
    // Someone changed a's row in the database: its value is now sealed with another key.
    const db = new Database(path);
    const row = db.prepare(`SELECT document FROM actions WHERE batch_id = 'T' AND id = 'a'`).get() as { document: string };
    const doc = JSON.parse(row.document) as KvGroup;
    for (const m of doc.members) if ('key' in m && m.key === 'newpw') m.value = K2.seal('forged');
    db.prepare(`UPDATE actions SET document = ? WHERE batch_id = 'T' AND id = 'a'`).run(JSON.stringify(doc));
    db.close();
    const out = await store.tick({ results: [], decisions: [], holdMs: 1000, claim: { now: Date.now(), capacity: () => 10, max: 10, rewrite: false } });
    expect(out.claims.map((c) => [c.id, passwordOf(c.document)])).toEqual([['b', PW.b]]);
    expect(out.effects.replies).toEqual([expect.objectContaining({ replyid: 'r-a', status: 'failure', message: expect.stringContaining('its password cannot be opened') })]);
    expect(out.effects.events.map((e) => e.type)).toContain('action.failed');
    const board = await store.messages();
    expect(board.map((m) => m.text)).toEqual([expect.stringMatching(/^action a: its password cannot be opened \(action a of batch T: a sealed value does not open with this key/)]);
    expectNone(JSON.stringify(board), ['forged', PW.a]);
    await store.close();
  });
});
