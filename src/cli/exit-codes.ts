import { hasCode } from '../errors.js';

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

/** The exit code for an error, decided by its `code`, never by its class. */
export function exitCodeFor(err: unknown): ExitCode {
  if (hasCode(err)) {
    if (err.code === 'CLI_USAGE') return EXIT.USAGE;
    if (err.code === 'CLI_NO_INPUT' || err.code === 'ENOENT' || err.code === 'STORE_MISSING') return EXIT.NO_INPUT;
    if (DATA_ERROR_PREFIXES.some((p) => err.code.startsWith(p))) return EXIT.DATA_ERROR;
  }
  return EXIT.FAILURE;
}
