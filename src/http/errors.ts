import { TmonError } from '../errors.js';

/** A problem listed in a 400 answer: what is wrong, and where when it is known. */
export interface ProblemView {
  code: string;
  message: string;
  batch?: string | null;
  action?: string | null;
  line?: number;
  column?: number;
}

/** An answer other than success, with the HTTP status it goes out with. */
export class HttpError extends TmonError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly problems?: ProblemView[],
  ) {
    super(code, message);
  }
}

/** The body of every error answer: `{error: {code, message, problems?}}`. */
export function errorBody(code: string, message: string, problems?: ProblemView[]): { error: { code: string; message: string; problems?: ProblemView[] } } {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}
