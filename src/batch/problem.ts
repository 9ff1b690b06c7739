import { TmonError } from '../errors.js';

/** Why a batch (or a plugin's output) is refused. Stable: tests, `--json` and triggers use it. */
export type ProblemCode =
  | 'BATCH_DOCUMENT'
  | 'BATCH_NOT_ONE_BATCH'
  | 'BATCH_NO_ACTIONS'
  | 'BATCH_DUPLICATE_ACTION'
  | 'BATCH_UNKNOWN_OPERATION'
  | 'BATCH_MISSING_KEY'
  | 'BATCH_DUPLICATE_KEY'
  | 'BATCH_BAD_INTERACTIVE'
  | 'BATCH_DUPLICATE_REPLYID'
  | 'BATCH_REPLYID_TAKEN'
  | 'BATCH_TOO_LARGE'
  | 'BATCH_BAD_DEPENDS'
  | 'BATCH_BAD_MEMBER'
  | 'BATCH_UNKNOWN_DEPENDENCY'
  | 'BATCH_CYCLE'
  | 'REWRITE_BATCH_CHANGED'
  | 'REWRITE_PRIMARY_CHANGED'
  | 'REWRITE_REPLYID_CHANGED'
  | 'REWRITE_REPLYID_INVENTED'
  | 'REWRITE_ID_TAKEN';

/** One thing wrong, said as `action <id>: …` or `batch <id>: …`. */
export interface Problem {
  batch: string | null;
  action: string | null;
  code: ProblemCode;
  message: string;
  /** Where the fault starts in the batch file (1-based), when the document was parsed with positions. */
  line?: number;
  column?: number;
}

export function actionProblem(batch: string, action: string, code: ProblemCode, what: string): Problem {
  return { batch, action, code, message: `action ${action}: ${what}` };
}

export function batchProblem(batch: string | null, code: ProblemCode, what: string): Problem {
  return { batch, action: null, code, message: batch === null ? `document: ${what}` : `batch ${batch}: ${what}` };
}

/** A batch refused for one or more problems; `code` is the first problem's. */
export class BatchInvalidError extends TmonError {
  readonly problems: Problem[];

  constructor(problems: Problem[], source?: string) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(first?.code ?? 'BATCH_DOCUMENT', `${source ? `${source}: ` : ''}${first?.message ?? 'invalid batch'}${more}`);
    this.problems = problems;
  }
}
