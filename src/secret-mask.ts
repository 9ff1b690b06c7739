/*
 * Masking secrets by key, in pairs, objects and KVGroup text: apart from the logger (log.ts,
 * which uses it in its format) so that a command that only prints, such as `tmon parse`, does
 * not load winston (~35 ms of CPU) to mask a password.
 */

export const REDACTED = '[redacted]';

/** Keys whose values never reach a log line or CLI output. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['newpw']);
/** `"newpw" = "…"` inside KVGroup text, in any quoting tmon or a plugin might log. */
const SECRET_IN_TEXT = /("?newpw"?\s*=\s*)("(?:[^"\\]|\\.)*"|[^\s}]+)/g;

/** The password of a URL's credentials (`postgres://user:PASSWORD@host`): a store URL in an error or a config echo. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi;

/**
 * A copy of `value` with every secret replaced, in pairs, objects and KVGroup text alike.
 * An empty secret stays empty: there is nothing to hide, and "no password given" is useful.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const text = value.includes('://') ? value.replace(URL_PASSWORD, `$1${REDACTED}@`) : value;
    return text.includes('newpw') ? text.replace(SECRET_IN_TEXT, (all, lead: string, v: string) => (v === '""' ? all : `${lead}"${REDACTED}"`)) : text;
  }
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const obj = value as Record<string, unknown>;
  // A KVGroup pair {key: "newpw", value: "…"}.
  if (typeof obj.key === 'string' && SECRET_KEYS.has(obj.key) && 'value' in obj) return { ...obj, value: obj.value === '' ? '' : REDACTED };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = SECRET_KEYS.has(k) && v !== '' ? REDACTED : redact(v, depth + 1);
  return out;
}
