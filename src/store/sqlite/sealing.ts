import Database, { type Database as Db } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { batchContext } from '../../batch/context.js';
import { readBatch } from '../../batch/model.js';
import { TmonError } from '../../errors.js';
import { isGroup, type KvGroup } from '../../kvgroup/document.js';
import { parseLoaded } from '../../kvgroup/loaded-parser.js';
import { printKvg } from '../../kvgroup/printer.js';
import { KvgSyntaxError } from '../../kvgroup/syntax-error.js';
import { holdsPasswords, isSealed, mapPasswords, mayHoldPasswords, SEALED_PREFIX, SecretError, wipePasswords, type SecretBox } from '../../secrets/index.js';
import { FINAL_ACTION_STATES, type ActionState, type NewBatch } from '../types.js';
import type { StoreCtx } from './context.js';
import type { ActionRow, BatchRow } from './rows.js';

/*
 * Passwords at rest, where the store writes and reads documents (issue 15). Every non-empty
 * `newpw` value of an action's `document` and `submitted` JSON and of a batch's `context` is
 * sealed before it is written, and a batch text holding one is sealed whole: plain text never
 * reaches the database file, its WAL or its free pages. Values are opened only in the claims
 * handed to a plugin and a connector. When an action is final its values are emptied; when a
 * batch is final its context's are, and its sealed text is replaced by a password-free one.
 * Emptying needs no key, so a CLI without it can cancel; only writing or handing out a
 * password does.
 */

const FINAL = new Set<ActionState>(FINAL_ACTION_STATES);

/** What the key check holds, sealed: a key that opens it to this is the store's key. */
export const CHECK_TEXT = 'tmon secret key check v1';

/** How a sealed `newpw` value looks in a document's JSON (keys first, as the parser makes pairs). */
export const SEALED_PAIR = `"newpw","value":"${SEALED_PREFIX}`;

/** What sealing reads of a store: its key (the daemon's) and whether the store was keyed. Both stores have these. */
export type Keys = Pick<StoreCtx, 'box' | 'keyed'>;

export const needKey = (): TmonError =>
  new TmonError('SECRET_KEY_NEEDED', "this store's passwords are sealed with the daemon's secret key: only the daemon writes or hands out passwords");

/** An action's (or a context's) JSON as stored: its passwords sealed. */
export function sealDocument(ctx: Keys, doc: KvGroup): string {
  const box = ctx.box;
  if (box) return JSON.stringify(mapPasswords(doc, (v) => box.seal(v)));
  if (ctx.keyed && holdsPasswords(doc)) throw needKey();
  return JSON.stringify(doc);
}

/** A stored document with its passwords opened: only for a claim (a plugin's input, a connector's). */
export function openDocument(ctx: Keys, json: string, where: string): KvGroup {
  const doc = JSON.parse(json) as KvGroup;
  if (!mayHoldPasswords(json)) return doc;
  const box = ctx.box;
  if (!box) {
    mapPasswords(doc, (v) => {
      if (isSealed(v)) throw needKey();
      return v;
    });
    return doc;
  }
  try {
    return mapPasswords(doc, (v) => {
      if (!isSealed(v)) throw new SecretError('SECRET_PLAIN', 'a password is stored unsealed');
      return box.open(v);
    });
  } catch (err) {
    if (err instanceof SecretError) throw new SecretError(err.code, `${where}: ${err.message}`);
    throw err;
  }
}

/** Whether a new batch holds a password: then its text is sealed and its digest keyed. */
export function batchHoldsPasswords(batch: NewBatch): boolean {
  return holdsPasswords(batch.context) || batch.actions.some((a) => holdsPasswords(a.document));
}

/** The batch's text as stored: sealed whole when it holds a password. */
export function storedText(ctx: Keys, batch: NewBatch, holds: boolean): string {
  if (!holds) return batch.document;
  if (ctx.box) return ctx.box.seal(batch.document);
  if (ctx.keyed) throw needKey();
  return batch.document;
}

/**
 * The batch's digest as stored. A plain SHA-256 of a text holding a password would let anyone
 * with the database try guesses at it offline, so with a key it is keyed (HMAC): the same
 * batch still has the same stored digest, but only the daemon can compare with it.
 */
export function storedDigest(ctx: Keys, digest: string, holds: boolean): string {
  return holds && ctx.box ? ctx.box.digest(digest) : digest;
}

export function wipeJson(json: string): { json: string; wiped: boolean } {
  const { group, wiped } = wipePasswords(JSON.parse(json) as KvGroup);
  return { json: wiped ? JSON.stringify(group) : json, wiped };
}

/** A final action's passwords emptied, in `document` and `submitted` (called by `finalize`). */
export function wipeAction(ctx: StoreCtx, row: ActionRow): void {
  const doc = mayHoldPasswords(row.document) ? wipeJson(row.document) : undefined;
  const sub = row.submitted !== null && mayHoldPasswords(row.submitted) ? wipeJson(row.submitted) : undefined;
  if (!doc?.wiped && !sub?.wiped) return;
  ctx.s.wipeAction.run(doc?.wiped ? doc.json : row.document, sub?.wiped ? sub.json : row.submitted, row.batch_id, row.id);
}

/**
 * The batch text rebuilt without passwords: its context with its submitted actions, as each
 * was before any plugin (canonical form; comments and layout are not kept).
 */
function passwordFreeText(ctx: StoreCtx, batchId: string, contextJson: string | null): string {
  return passwordFreeTextOf(contextJson, contextJson === null ? [] : ctx.s.batchActions.all(batchId));
}

/** `passwordFreeText` from the batch's rows (shared with the PostgreSQL store). */
export function passwordFreeTextOf(contextJson: string | null, rows: readonly ActionRow[]): string {
  if (contextJson === null) return '';
  const context = wipePasswords(JSON.parse(contextJson) as KvGroup).group;
  const actions = rows
    .filter((r) => r.id === r.primary_id)
    .map((r) => wipePasswords(JSON.parse(r.submitted ?? r.document) as KvGroup).group);
  return printKvg({ ...context, members: context.members.map((m) => (isGroup(m) && m.type === 'batch' ? { ...m, members: [...m.members, ...actions] } : m)) });
}

/**
 * A final batch's passwords gone: its context's emptied, and a sealed text replaced by the
 * text rebuilt without them (called where a batch ends: completed or canceled).
 */
export function wipeBatch(ctx: StoreCtx, batchId: string): void {
  const b = ctx.s.batch.get(batchId);
  if (!b) return;
  const sealedText = isSealed(b.document);
  const c = b.context !== null && mayHoldPasswords(b.context) ? wipeJson(b.context) : undefined;
  if (!sealedText && !c?.wiped) return;
  const context = c?.wiped ? c.json : b.context;
  ctx.s.wipeBatch.run(sealedText ? passwordFreeText(ctx, batchId, context) : b.document, context, c?.wiped ? 1 : 0, batchId);
}

// ---- the key

/** How many actions and batches hold a sealed value. */
function sealedCount(db: Db): number {
  const pattern = `%${SEALED_PAIR}%`;
  const a = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM actions WHERE document LIKE ? OR submitted LIKE ?').get(pattern, pattern)!.n;
  const b = db.prepare<[string, string], { n: number }>(`SELECT count(*) AS n FROM batches WHERE substr(document, 1, ${SEALED_PREFIX.length}) = ? OR context LIKE ?`).get(SEALED_PREFIX, pattern)!.n;
  return a + b;
}

/**
 * Whether the store at `path` holds passwords sealed with some key: then a new key must not be
 * made (it could not open them). False for a store that does not exist yet, or from before keys.
 */
export function storeHoldsSealedPasswords(path: string): boolean {
  if (path === ':memory:' || !existsSync(path)) return false;
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const tables = new Set(db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).all().map((r) => r.name));
    if (!tables.has('secret_key_check')) return false;
    return sealedCount(db) > 0;
  } finally {
    db.close();
  }
}

/**
 * What taking a key on a store did: `verified` it is the store's key; `new` the store had no
 * key (new, or without passwords) and has this one now; `sealed` the store came from a tmon
 * before sealing and its plain-text passwords were sealed (open actions) or emptied (final
 * ones); `rekeyed` the store's key was another one but nothing sealed with it is left, so this
 * key replaces it.
 */
export type KeyAdoption = 'verified' | 'new' | 'sealed' | 'rekeyed';

/**
 * Checks `box` against the store's key check, or makes it the store's key. Refuses a key that
 * cannot open what the store holds sealed: no action runs with a password it cannot open.
 */
export function adoptKey(db: Db, box: SecretBox, path: string): KeyAdoption {
  return db.transaction((): KeyAdoption => {
    const now = Date.now();
    const check = db.prepare<[], { sealed: string }>('SELECT sealed FROM secret_key_check WHERE id = 1').get();
    const put = (): void => void db.prepare('INSERT OR REPLACE INTO secret_key_check (id, sealed, created_at) VALUES (1, ?, ?)').run(box.seal(CHECK_TEXT), now);
    if (check) {
      let opens = false;
      try {
        opens = box.open(check.sealed) === CHECK_TEXT;
      } catch {
        // Another key, or a damaged check: decided below by what the store holds.
      }
      if (opens) return 'verified';
      const n = sealedCount(db);
      if (n > 0) {
        throw new TmonError(
          'SECRET_KEY_WRONG',
          `the secret key from ${box.source} is not the key of ${path}: ${n} action(s) or batch(es) there hold passwords sealed with another one. Start with the key kept with this store (restore secret.key from its backup, or set TMON_SECRET_KEY to it); nothing runs with a wrong key (docs/operations.md, "The secret key")`,
        );
      }
      put();
      return 'rekeyed';
    }
    if (sealedCount(db) > 0) {
      throw new TmonError('SECRET_KEY_WRONG', `${path} holds sealed passwords but no key check: it was changed outside tmon; restore it from a backup`);
    }
    const changed = sealPlainText(db, box);
    put();
    return changed ? 'sealed' : 'new';
  })();
}

/** Each row of `table` matching `where`, a page at a time (rows are updated as they are read). */
function* pages<R>(db: Db, sql: string): Generator<R & { rid: number }> {
  const stmt = db.prepare<[number], R & { rid: number }>(sql);
  let after = 0;
  for (;;) {
    const rows = stmt.all(after);
    if (rows.length === 0) return;
    for (const r of rows) yield r;
    after = rows.at(-1)!.rid;
  }
}

/**
 * A store written before passwords were sealed: the passwords of open actions and batches are
 * sealed, those of final ones emptied, and the digests of batches holding one keyed. Returns
 * whether anything changed (then the caller vacuums, so the old plain text leaves the file).
 */
function sealPlainText(db: Db, box: SecretBox): boolean {
  let changed = false;
  const seal = (doc: KvGroup): KvGroup => mapPasswords(doc, (v) => box.seal(v));
  const setAction = db.prepare<[string, string | null, number, number]>('UPDATE actions SET document = ?, submitted = ?, secrets_wiped = ? WHERE rowid = ?');
  for (const r of pages<Pick<ActionRow, 'state' | 'document' | 'submitted' | 'secrets_wiped'>>(
    db,
    `SELECT rowid AS rid, state, document, submitted, secrets_wiped FROM actions WHERE rowid > ? AND (instr(document, '"newpw"') > 0 OR instr(coalesce(submitted, ''), '"newpw"') > 0) ORDER BY rowid LIMIT 500`,
  )) {
    const final = FINAL.has(r.state);
    let wiped = false;
    const redo = (json: string): string => {
      const doc = JSON.parse(json) as KvGroup;
      if (!holdsPasswords(doc)) return json;
      if (!final) return JSON.stringify(seal(doc));
      wiped = true;
      return JSON.stringify(wipePasswords(doc).group);
    };
    const document = redo(r.document);
    const submitted = r.submitted === null ? null : redo(r.submitted);
    if (document === r.document && submitted === r.submitted) continue;
    setAction.run(document, submitted, wiped ? 1 : r.secrets_wiped, r.rid);
    changed = true;
  }
  const setBatch = db.prepare<[string, string, string | null, number, number]>('UPDATE batches SET document = ?, digest = ?, context = ?, secrets_wiped = ? WHERE rowid = ?');
  for (const b of pages<Pick<BatchRow, 'state' | 'document' | 'digest' | 'context' | 'secrets_wiped'>>(
    db,
    'SELECT rowid AS rid, state, document, digest, context, secrets_wiped FROM batches WHERE rowid > ? ORDER BY rowid LIMIT 200',
  )) {
    let root: KvGroup | undefined;
    try {
      // The store's opener loaded the parser (a store opened with a key: see openStore).
      root = parseLoaded(b.document)[0];
    } catch (err) {
      // A stored text that no longer parses: only its context can be looked at.
      if (!(err instanceof KvgSyntaxError)) throw err;
    }
    const final = b.state !== 'received' && b.state !== 'running';
    const holds = (root !== undefined && holdsPasswords(root)) || (b.context !== null && holdsPasswords(JSON.parse(b.context) as KvGroup));
    if (!holds) continue;
    const batch = root ? readBatch(root) : undefined;
    const plainContext = b.context !== null ? (JSON.parse(b.context) as KvGroup) : batch ? batchContext(batch) : null;
    let wiped = b.secrets_wiped;
    let context: string | null = null;
    if (plainContext) {
      if (!final) context = JSON.stringify(seal(plainContext));
      else {
        const w = wipePasswords(plainContext);
        if (w.wiped) wiped = 1;
        context = JSON.stringify(w.group);
      }
    }
    const text = !final ? box.seal(b.document) : root ? printKvg(wipePasswords(root).group) : '';
    setBatch.run(text, box.digest(b.digest), context, wiped, b.rid);
    changed = true;
  }
  return changed;
}
