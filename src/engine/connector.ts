import type { Action } from '../batch/index.js';
import { TmonError, hasCode } from '../errors.js';

/** One action for a connector to carry out on its target. */
export interface ConnectorRequest {
  batchId: string;
  action: Action;
  /** 1 for the first try. */
  attempt: number;
  /**
   * The action was found running when the daemon started: it may have been carried out
   * already, so the connector checks the target before acting again.
   */
  recovery: boolean;
}

export interface ConnectorResult {
  retval: string;
  message: string;
}

/**
 * A target system: the engine's port, implemented in src/connectors/. `execute` resolves on
 * success and throws a `ConnectorError` (or any error with a `code`) otherwise.
 */
export interface Connector {
  readonly kind: string;
  /**
   * Its target lives in the store (the simulated directory): what it changes is written in the
   * store's open transaction and commits or is lost with the action's result, so its claim need
   * not be on disk before it runs (a target outside the store needs that, for the recovery flag).
   */
  readonly inStore?: boolean;
  execute(request: ConnectorRequest): Promise<ConnectorResult>;
  close?(): Promise<void>;
}

/** An error from a target; its `code` decides, through the table below, whether to retry. */
export class ConnectorError extends TmonError {
  readonly retval: string;

  constructor(code: string, message: string, retval = '1') {
    super(code, message);
    this.retval = retval;
  }
}

export type ErrorClass = 'transient' | 'permanent';

/**
 * Which connector errors are worth retrying. One table, so adding a connector's error codes
 * is one line each; a code not listed is permanent, since retrying an unknown failure only
 * delays the operator hearing of it.
 */
export const ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = Object.freeze({
  // The simulated directory's answers (contract §5).
  NO_SUCH_ACCOUNT: 'permanent',
  ACCOUNT_EXISTS: 'permanent',
  GROUP_EXISTS: 'permanent',
  NO_SUCH_GROUP: 'permanent',
  NO_SUCH_TEMPLATE: 'permanent',
  UNSUPPORTED_OPERATION: 'permanent',
  // A script connector's exit codes: 75 is EX_TEMPFAIL.
  SCRIPT_TEMPFAIL: 'transient',
  SCRIPT_TIMEOUT: 'transient',
  SCRIPT_FAILED: 'permanent',
  SCRIPT_CANNOT_START: 'permanent',
  // A target that is there but cannot answer now.
  TARGET_BUSY: 'transient',
  TARGET_UNAVAILABLE: 'transient',
  // The store (the simulated directory keeps its state there) held by another process for longer
  // than its busy timeout: the target is busy, not the action wrong.
  SQLITE_BUSY: 'transient',
  SQLITE_LOCKED: 'transient',
  // Network errors from Node, for connectors that talk to a real system.
  ECONNREFUSED: 'transient',
  ECONNRESET: 'transient',
  ETIMEDOUT: 'transient',
  EPIPE: 'transient',
  EHOSTUNREACH: 'transient',
  ENETUNREACH: 'transient',
  EAI_AGAIN: 'transient',
});

export function classify(err: unknown): ErrorClass {
  return hasCode(err) ? (ERROR_CLASSES[err.code] ?? 'permanent') : 'permanent';
}
