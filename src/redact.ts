import { isPair, quote, type KvGroup, type KvMember } from './kvgroup/index.js';
import { REDACTED } from './secret-mask.js';

/*
 * Redaction by value. Masking `"newpw" = …` by key (src/secret-mask.ts) misses a password that comes
 * back in another shape: a plugin's error message, a script's output, a syntax error. So the
 * passwords a document carries are collected once, and every string tmon writes about it is
 * masked wherever one of them occurs, also in the escaped forms it takes inside JSON or
 * KVGroup text. Any non-empty value is masked, however short: a message garbled by masks is
 * better than a password in a log.
 */

export const MASK = REDACTED;

/** The key whose value is a password (contract §2). */
const SECRET_KEY = 'newpw';

/** Every non-empty `newpw` value anywhere in the given documents (nested groups included). */
export function passwordsOf(...docs: ReadonlyArray<KvGroup | readonly KvMember[] | undefined>): Set<string> {
  const found = new Set<string>();
  const stack: KvMember[] = [];
  for (const d of docs) if (d) stack.push(...(Array.isArray(d) ? d : [d as KvGroup]));
  while (stack.length > 0) {
    const m = stack.pop()!;
    if (isPair(m)) {
      if (m.key === SECRET_KEY && m.value !== '') found.add(m.value);
    } else if (Array.isArray(m.members)) {
      for (const c of m.members) stack.push(c);
    }
  }
  return found;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The ways a secret may be written: as is, JSON-escaped (once or twice), KVGroup-escaped, and
 * with its escapes undone once by a shell on the way (`echo` turns `\\` into `\`), so a target
 * that quotes what it was sent is masked too.
 */
function formsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const unescaped = secret.replace(/\\(.)/g, '$1');
  return [secret, json, JSON.stringify(json).slice(1, -1), quote(secret).slice(1, -1), unescaped];
}

/** `text` with every occurrence of every secret (in each of its written forms) replaced by MASK. */
export function redact(text: string, secrets: Iterable<string>): string {
  const forms = new Set<string>();
  for (const s of secrets) if (s !== '') for (const f of formsOf(s)) forms.add(f);
  if (forms.size === 0 || text === '') return text;
  // Longest first, so a form that contains another is masked whole.
  const pattern = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  return text.replace(new RegExp(pattern, 'g'), MASK);
}

/** A copy of `value` (plain data: log meta, payloads) with `redact` applied to every string in it. */
export function redactDeep<T>(value: T, secrets: ReadonlySet<string>, depth = 0): T {
  if (secrets.size === 0) return value;
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets, depth + 1);
  return out as T;
}
