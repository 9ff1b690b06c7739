import { parseKvg, type KvGroup } from '../kvgroup/index.js';
import { runProcess, stderrTail, type ProcessRun } from './child-process.js';
import type { PluginFailure } from './messages.js';

export type ExecutableResult = ({ ok: true; output: KvGroup } | { ok: false; error: PluginFailure }) & { stderr: string };

/**
 * Runs an executable plugin: the input document on stdin, the output document on stdout,
 * stderr kept for the log.
 */
export async function runExecutable(run: ProcessRun): Promise<ExecutableResult> {
  const r = await runProcess(run);
  const fail = (code: PluginFailure['code'], message: string): ExecutableResult => ({ ok: false, error: { code, message }, stderr: r.stderr });
  if (r.stopped) {
    const code = r.stopped.reason === 'timeout' ? 'PLUGIN_TIMEOUT' : r.stopped.reason === 'output' ? 'PLUGIN_BAD_OUTPUT' : 'PLUGIN_CRASHED';
    return fail(code, r.stopped.message);
  }
  if (r.exitCode !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    const said = stderrTail(r.stderr);
    return fail('PLUGIN_EXIT_NONZERO', `${how}${said ? `: ${said}` : ''}`);
  }
  try {
    const doc = parseKvg(r.stdout.toString('utf8'), { source: 'stdout' });
    if (doc.length !== 1) return fail('PLUGIN_BAD_OUTPUT', `wrote ${doc.length} top-level groups, not one`);
    return { ok: true, output: doc[0]!, stderr: r.stderr };
  } catch (e) {
    return fail('PLUGIN_BAD_OUTPUT', `wrote text that does not parse: ${(e as Error).message}`);
  }
}
