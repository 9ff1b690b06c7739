import { printKvg } from '../kvgroup/printer.js';
import { minimalEnv, runProcess, stderrTail } from '../child-process.js';
import { ConnectorError, type Connector, type ConnectorRequest, type ConnectorResult } from '../engine/connector.js';

export interface ScriptTarget {
  script: string;
  args: string[];
  timeoutMs: number;
}

/** EX_TEMPFAIL from sysexits.h: "try again later". */
export const EXIT_TEMPFAIL = 75;

/**
 * The script connector: runs an executable per action with the action (inside its batch
 * group) as KVGroup on stdin. Exit 0 is success, 75 a transient failure, anything else a
 * permanent one; the last line of stdout (or stderr) becomes the message.
 */
export class ScriptConnector implements Connector {
  readonly kind = 'script';

  constructor(private readonly target: ScriptTarget) {}

  async execute(req: ConnectorRequest): Promise<ConnectorResult> {
    const a = req.action;
    const input = printKvg({ type: '', name: '', members: [{ type: 'batch', name: req.batchId, members: [a.group] }] });
    const r = await runProcess({
      command: this.target.script,
      args: this.target.args,
      input,
      env: minimalEnv({
        TMON_BATCH_ID: req.batchId,
        TMON_ACTION_ID: a.id,
        TMON_OPERATION: a.pairs.operation ?? '',
        TMON_HOSTID: a.pairs.hostid ?? '',
        TMON_ATTEMPT: String(req.attempt),
        TMON_RECOVERY: req.recovery ? '1' : '0',
      }),
      timeoutMs: this.target.timeoutMs,
    });
    const said = stderrTail(r.stdout.toString('utf8')) || stderrTail(r.stderr);
    if (r.stopped) {
      throw new ConnectorError(r.stopped.reason === 'spawn' ? 'SCRIPT_CANNOT_START' : r.stopped.reason === 'timeout' ? 'SCRIPT_TIMEOUT' : 'SCRIPT_FAILED', `script ${r.stopped.message}`);
    }
    if (r.exitCode === 0) return { retval: '0', message: said || 'script succeeded' };
    const retval = String(r.exitCode ?? r.signal ?? '');
    if (r.exitCode === EXIT_TEMPFAIL) throw new ConnectorError('SCRIPT_TEMPFAIL', `script asked to retry (exit 75)${said ? `: ${said}` : ''}`, retval);
    throw new ConnectorError('SCRIPT_FAILED', `script ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`}${said ? `: ${said}` : ''}`, retval);
  }
}
