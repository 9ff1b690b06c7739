import { TmonError, hasCode } from '../errors.js';

/** Exit codes of contract §7 (the sysexits.h values where one fits). */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  DATA_ERROR: 65,
  NO_INPUT: 66,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Error codes that mean "the input data is bad" rather than "tmon failed". */
const DATA_ERROR_PREFIXES = ['KVG_', 'BATCH_', 'CONFIG_'];

/**
 * The command has already said what went wrong (problems on stdout or stderr) and only its exit
 * code is left to give: the code of `cause`, whose message is not printed again.
 */
export class QuietExit extends TmonError {
  readonly inner: { code: string; message: string };

  constructor(inner: { code: string; message: string }) {
    super('CLI_QUIET_EXIT', inner.message);
    this.inner = inner;
  }
}

/** The exit code for an error, decided by its `code`, never by its class. */
export function exitCodeFor(err: unknown): ExitCode {
  if (hasCode(err, 'CLI_QUIET_EXIT')) return exitCodeFor((err as unknown as QuietExit).inner);
  if (hasCode(err)) {
    if (err.code === 'CLI_USAGE') return EXIT.USAGE;
    if (err.code === 'CLI_NO_INPUT' || err.code === 'ENOENT' || err.code === 'STORE_MISSING') return EXIT.NO_INPUT;
    if (DATA_ERROR_PREFIXES.some((p) => err.code.startsWith(p))) return EXIT.DATA_ERROR;
  }
  return EXIT.FAILURE;
}
