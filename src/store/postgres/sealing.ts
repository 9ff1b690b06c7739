import { TmonError } from '../../errors.js';
import { isSealed, mayHoldPasswords, SEALED_PREFIX, type SecretBox } from '../../secrets/index.js';
import type { ActionRow, BatchRow } from '../sqlite/rows.js';
import { CHECK_TEXT, passwordFreeTextOf, SEALED_PAIR, wipeJson, type KeyAdoption } from '../sqlite/sealing.js';
import type { PgCtx } from './context.js';
import type { Statements } from './statements.js';

/*
 * Passwords at rest on PostgreSQL: the same rules as ../sqlite/sealing.ts (sealed when written,
 * opened only in claims, emptied when final), whose pure parts this reuses. A PostgreSQL store
 * never held plain-text passwords (it is newer than sealing), so adopting a key never seals old
 * rows: the key is the store's (verified) or the store's first (new).
 */

/** A final action's passwords emptied (called by `finalize`). */
export async function wipeAction(ctx: PgCtx, row: ActionRow): Promise<void> {
  const doc = mayHoldPasswords(row.document) ? wipeJson(row.document) : undefined;
  const sub = row.submitted !== null && mayHoldPasswords(row.submitted) ? wipeJson(row.submitted) : undefined;
  if (!doc?.wiped && !sub?.wiped) return;
  await ctx.s.wipeAction.run(doc?.wiped ? doc.json : row.document, sub?.wiped ? sub.json : row.submitted, row.batch_id, row.id);
}

/** A final batch's passwords gone: its context's emptied, a sealed text rebuilt without them. */
export async function wipeBatch(ctx: PgCtx, batchId: string): Promise<void> {
  const b = await ctx.s.batch.get(batchId);
  if (b) await wipeBatchRow(ctx, b);
}

/** `wipeBatch` of a row the caller has read (as it made the batch final): no read of its own. */
export async function wipeBatchRow(ctx: PgCtx, b: BatchRow): Promise<void> {
  const batchId = b.id;
  const sealedText = isSealed(b.document);
  const c = b.context !== null && mayHoldPasswords(b.context) ? wipeJson(b.context) : undefined;
  if (!sealedText && !c?.wiped) return;
  const context = c?.wiped ? c.json : b.context;
  const text = sealedText ? passwordFreeTextOf(context, context === null ? [] : await ctx.s.batchActions.all(batchId)) : b.document;
  await ctx.s.wipeBatch.run(text, context, c?.wiped ? 1 : 0, batchId);
}

/** How many actions and batches hold a sealed value. */
export async function sealedCount(s: Statements): Promise<number> {
  return (await s.sealedCount.get(`%${SEALED_PAIR}%`, SEALED_PREFIX))!.n;
}

/**
 * Checks `box` against the store's key check, or makes it the store's key. Stricter than SQLite's
 * `adoptKey`: another key is refused even when nothing sealed with the store's is left, since
 * another daemon on the database may be sealing with it right now. Every daemon of a database
 * runs with the same key (docs/postgres.md).
 */
export async function adoptKey(s: Statements, box: SecretBox, where: string): Promise<KeyAdoption> {
  const check = await s.keyCheck.get();
  if (check) {
    try {
      if (box.open(check.sealed) === CHECK_TEXT) return 'verified';
    } catch {
      // Another key, or a damaged check: refused below.
    }
    const n = await sealedCount(s);
    throw new TmonError(
      'SECRET_KEY_WRONG',
      `the secret key from ${box.source} is not the key of ${where} (${n} action(s) or batch(es) there hold passwords sealed with it): every daemon of one database runs with the same key; copy secret.key from a home that has it, or set TMON_SECRET_KEY (docs/postgres.md)`,
    );
  }
  if ((await sealedCount(s)) > 0) throw new TmonError('SECRET_KEY_WRONG', `${where} holds sealed passwords but no key check: it was changed outside tmon; restore it from a backup`);
  await s.putKeyCheck.run(box.seal(CHECK_TEXT), Date.now());
  return 'new';
}
