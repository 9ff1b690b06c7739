import { parseKvg, type KvGroup } from '../kvgroup/index.js';
import { runProcess, stderrTail, type ProcessRun } from '../child-process.js';
import type { PluginFailure } from './messages.js';
import { fannedProblem, type OutputLimits } from './output-limits.js';

export type ExecutableResult = ({ ok: true; output: KvGroup } | { ok: false; error: PluginFailure }) & { stderr: string };

/**
 * Runs an executable plugin: the input document on stdin, the output document on stdout,
 * stderr kept for the log. Its output is counted as it streams in and the program stopped past
 * limits.pluginOutputBytes, so nothing larger is ever held or parsed here.
 */
export async function runExecutable(run: Omit<ProcessRun, 'maxOutputBytes'>, limits: OutputLimits): Promise<ExecutableResult> {
  const r = await runProcess({ ...run, maxOutputBytes: limits.pluginOutputBytes });
  const fail = (code: PluginFailure['code'], message: string): ExecutableResult => ({ ok: false, error: { code, message }, stderr: r.stderr });
  if (r.stopped) {
    if (r.stopped.reason === 'output') return fail('PLUGIN_OUTPUT_TOO_LARGE', `wrote more than limits.pluginOutputBytes (${limits.pluginOutputBytes}) bytes; it was stopped`);
    return fail(r.stopped.reason === 'timeout' ? 'PLUGIN_TIMEOUT' : 'PLUGIN_CRASHED', r.stopped.message);
  }
  if (r.exitCode !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    const said = stderrTail(r.stderr);
    return fail('PLUGIN_EXIT_NONZERO', `${how}${said ? `: ${said}` : ''}`);
  }
  try {
    const doc = parseKvg(r.stdout.toString('utf8'), { source: 'stdout' });
    if (doc.length !== 1) return fail('PLUGIN_BAD_OUTPUT', `wrote ${doc.length} top-level groups, not one`);
    const fanned = fannedProblem(doc[0]!, limits);
    return fanned ? { ok: false, error: fanned, stderr: r.stderr } : { ok: true, output: doc[0]!, stderr: r.stderr };
  } catch (e) {
    return fail('PLUGIN_BAD_OUTPUT', `wrote text that does not parse: ${(e as Error).message}`);
  }
}
