/**
 * Base class for every error tmon raises on purpose. The `code` is stable and is what
 * callers compare: an error that crossed a worker-thread or process boundary arrives as
 * plain data, so `instanceof` cannot be trusted there, but `code` survives.
 */
export class TmonError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True for anything that carries a tmon error `code`, whichever realm created it. */
export function hasCode(err: unknown, code?: string): err is { code: string; message: string } {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && (code === undefined || c === code);
}
