import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRole, HttpToken } from '../config/index.js';
import { HttpError } from './errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The configured bearer tokens. A presented token is compared with every one, always all of
 * them and on digests of equal length, so that neither the time taken nor an early exit tells
 * how much of a token was right, or which one.
 */
export class TokenBook {
  private readonly entries: Array<{ token: HttpToken; digest: Buffer }>;

  constructor(tokens: readonly HttpToken[]) {
    this.entries = tokens.map((t) => ({ token: t, digest: digest(t.token) }));
  }

  /** The token named by an `Authorization: Bearer …` header, or undefined. */
  identify(header: string | undefined): HttpToken | undefined {
    const m = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!m) return undefined;
    const presented = digest(m[1]!);
    let found: HttpToken | undefined;
    for (const e of this.entries) if (timingSafeEqual(presented, e.digest) && !found) found = e.token;
    return found;
  }

  /** The token presented; throws the 401 to answer when there is none or it is not known. */
  authenticate(header: string | undefined): HttpToken {
    const token = this.identify(header);
    if (!token) throw new HttpError(401, 'HTTP_UNAUTHORIZED', header ? 'the bearer token is not known' : 'an Authorization: Bearer token is required');
    return token;
  }

  /** Throws the 403 to answer when the token lacks the role. */
  static authorise(token: HttpToken, role: HttpRole): void {
    if (!token.roles.includes(role)) throw new HttpError(403, 'HTTP_FORBIDDEN', `token ${token.name} does not have role ${role}`);
  }
}
