import { readAction } from '../batch/index.js';
import { targetFor, type Config } from '../config/index.js';
import { hasCode } from '../errors.js';
import { passwordsOf, redact } from '../redact.js';
import type { Logger } from '../log.js';
import type { ActionResult, ClaimedAction } from '../store/index.js';
import { retryDelay } from './backoff.js';
import { classify, type Connector } from './connector.js';

/**
 * Carries out one claimed action on its target and says how it went: success, a transient
 * failure to retry after a backoff, or a final failure (permanent, or out of tries).
 */
export class Executor {
  constructor(
    private readonly config: Config,
    private readonly connectorFor: (hostid: string) => Connector,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  async run(claim: ClaimedAction): Promise<ActionResult> {
    const meta = () => ({ batch: claim.batchId, action: claim.id, operation: claim.operation, hostid: claim.hostid, attempt: claim.attempt });
    try {
      const connector = this.connectorFor(claim.hostid);
      if (claim.recovery) this.logger.warn('running again after a restart: the connector checks before acting', meta());
      const r = await connector.execute({ batchId: claim.batchId, action: readAction(claim.document), attempt: claim.attempt, recovery: claim.recovery });
      const message = this.masked(claim, r.message);
      // One line per action only at debug, and not even built otherwise: at full speed a line
      // each would cost more than the work.
      if (this.logger.isDebugEnabled?.() ?? true) this.logger.debug(`succeeded: ${message}`, meta());
      return { state: 'succeeded', retval: r.retval, message };
    } catch (err) {
      const policy = targetFor(this.config, claim.hostid).retry;
      // A target may quote what it was sent: the action's passwords never reach a reply or a log.
      const message = this.masked(claim, err instanceof Error ? err.message : String(err));
      const retval = (err as { retval?: unknown }).retval;
      const rv = typeof retval === 'string' ? retval : '1';
      const code = hasCode(err) ? err.code : 'ERROR';
      if (classify(err) === 'transient' && claim.attempt < policy.attempts) {
        const delay = retryDelay(claim.attempt, policy, this.random);
        this.logger.warn(`attempt ${claim.attempt} of ${policy.attempts} failed (${code}): ${message}; retrying in ${delay} ms`, meta());
        return { state: 'retrying', retval: rv, message: `attempt ${claim.attempt} of ${policy.attempts} failed: ${message}`, nextAttemptAt: this.now() + delay };
      }
      const final = classify(err) === 'transient' ? `${message} (gave up after ${claim.attempt} attempts)` : message;
      this.logger.error(`failed (${code}): ${final}`, meta());
      return { state: 'failed', retval: rv, message: final };
    }
  }

  /** The connector's text with every password of the action masked, in any form it was quoted. */
  private masked(claim: ClaimedAction, text: string): string {
    const secrets = passwordsOf(claim.document);
    return secrets.size === 0 ? text : redact(text, secrets);
  }
}
