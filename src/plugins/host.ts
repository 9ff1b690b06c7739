import type { Action, Batch, ValidateOptions } from '../batch/index.js';
import { checkRewriteOutput, sliceForAction } from '../batch/index.js';
import type { Config } from '../config.js';
import { getValue, isPair, printKvg, type KvGroup } from '../kvgroup/index.js';
import type { Logger } from '../log.js';
import { minimalEnv } from './child-process.js';
import { runExecutable } from './executable.js';
import type { PluginFailure, PluginLogLine } from './messages.js';
import type { RewriteOutcome } from './outcome.js';
import { PluginPool } from './pool.js';
import { PluginRegistry, type PluginEntry } from './registry.js';

export type PluginRun = { ok: true; output: KvGroup } | { ok: false; error: PluginFailure };

export interface RunIds {
  batchId: string;
  actionId: string;
}

/**
 * Runs rewrite plugins: finds them in the plugins folder, runs JS ones in the worker pool and
 * executables as child processes, and turns what they did into a `RewriteOutcome` by the
 * rules of contract §3. Never throws for anything a plugin does.
 */
export class PluginHost {
  readonly registry: PluginRegistry;
  private pool: PluginPool | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.registry = new PluginRegistry(config.pluginsDir, config.interpreters);
  }

  private workers(): PluginPool {
    this.pool ??= new PluginPool({ threads: this.config.pluginThreads, memoryMb: this.config.pluginMemoryMb, timeoutMs: this.config.pluginTimeoutMs });
    return this.pool;
  }

  private optionsFor(name: string): Record<string, unknown> {
    return (this.config.pluginOptions[name] as Record<string, unknown> | undefined) ?? {};
  }

  private relay(lines: PluginLogLine[], meta: Record<string, unknown>): void {
    for (const l of lines) this.logger[l.level](l.message, { ...l.meta, ...meta });
  }

  /** Runs one plugin once on one input document. */
  async runPlugin(name: string, input: KvGroup, ids: RunIds): Promise<PluginRun> {
    const entry = this.registry.get(name);
    if (!entry) return { ok: false, error: { code: 'PLUGIN_NOT_FOUND', message: `no plugin named ${name} in ${this.registry.dir}` } };
    if (entry.error) return { ok: false, error: { code: 'PLUGIN_LOAD', message: entry.error } };
    const meta = { plugin: name, batch: ids.batchId, action: ids.actionId };
    if (entry.kind === 'js') {
      const r = await this.workers().run({
        kind: 'rewrite',
        modulePath: entry.path,
        moduleFormat: entry.moduleFormat!,
        version: entry.version,
        plugin: name,
        input,
        options: this.optionsFor(name),
        ...ids,
      });
      this.relay(r.logs, meta);
      return r.ok ? { ok: true, output: r.output! } : { ok: false, error: r.error };
    }
    const r = await runExecutable({
      command: entry.interpreter ?? entry.path,
      args: entry.interpreter ? [entry.path] : [],
      input: printKvg(input),
      env: minimalEnv({
        TMON_PLUGIN: name,
        TMON_BATCH_ID: ids.batchId,
        TMON_ACTION_ID: ids.actionId,
        TMON_PLUGIN_OPTIONS: JSON.stringify(this.optionsFor(name)),
      }),
      timeoutMs: this.config.pluginTimeoutMs,
    });
    for (const line of r.stderr.split('\n')) if (line.trim()) this.logger.info(`plugin stderr: ${line}`, meta);
    return r.ok ? { ok: true, output: r.output } : { ok: false, error: r.error };
  }

  /** Loads a plugin without running it, and says why it cannot be used, if it cannot. */
  async probe(entry: PluginEntry): Promise<string | undefined> {
    if (entry.error) return entry.error;
    if (entry.kind === 'executable') return undefined;
    const r = await this.workers().run({ kind: 'probe', modulePath: entry.path, moduleFormat: entry.moduleFormat!, version: entry.version });
    return r.ok ? undefined : r.error.message;
  }

  /**
   * Rewrites one primary action of a batch through the plugin chain (contract §3). Each
   * plugin's output is the next one's input; a failure anywhere applies to the whole chain.
   */
  async rewrite(batch: Batch, primary: Action, chain: readonly string[] = this.config.rewritePlugin, lookup?: ValidateOptions['lookup']): Promise<RewriteOutcome> {
    const who = `action ${primary.id}`;
    if (chain.length === 0) return { kind: 'none', message: `${who}: no rewrite plugin; runs as submitted` };
    const ids = { batchId: batch.id, actionId: primary.id };
    let current = sliceForAction(batch, primary);
    const changedBy: string[] = [];
    let lastCheck: ReturnType<typeof checkRewriteOutput> | undefined;
    for (const plugin of chain) {
      const run = await this.runPlugin(plugin, current, ids);
      const policy = this.config.onPluginError;
      const keep = policy === 'primary' ? 'primary action kept as submitted' : 'action failed';
      if (!run.ok) {
        return { kind: 'plugin-error', plugin, code: run.error.code, policy, message: `${who}: plugin ${plugin} ${run.error.message}; ${keep}` };
      }
      const retval = getValue(run.output, 'retval');
      const changed = getValue(run.output, 'changed');
      if ((retval !== undefined && retval !== '0') || (changed === 'true' && retval === undefined)) {
        const said = retval === undefined ? 'no retval' : `retval "${retval}"`;
        return { kind: 'plugin-error', plugin, code: 'PLUGIN_RETVAL', policy, message: `${who}: plugin ${plugin} returned ${said}; ${keep}` };
      }
      if (changed !== 'true') {
        this.logger.info(`plugin ${plugin} left the action unchanged (changed = ${JSON.stringify(changed ?? '')})`, { plugin, batch: batch.id, action: primary.id });
        continue;
      }
      const check = checkRewriteOutput({ batch, primary }, run.output, lookup ? { lookup } : {});
      if (check.problems.length > 0) {
        const first = check.problems[0]!.message;
        const more = check.problems.length > 1 ? ` (and ${check.problems.length - 1} more)` : '';
        return { kind: 'invalid-output', plugin, problems: check.problems, message: `${who}: plugin ${plugin} output breaks a rule: ${first}${more}; action failed` };
      }
      changedBy.push(plugin);
      lastCheck = check;
      // The next plugin gets this output as its input, without this plugin's verdict pairs.
      current = { ...run.output, members: run.output.members.filter((m) => !(isPair(m) && (m.key === 'changed' || m.key === 'retval'))) };
    }
    if (!lastCheck) {
      return { kind: 'unchanged', plugins: [...chain], message: `${who}: ${chain.length > 1 ? 'no plugin' : `plugin ${chain[0]}`} changed it; runs as submitted` };
    }
    const actions = lastCheck.output!.actions.map((a) => a.group);
    const by = changedBy.join(', ');
    if (actions.length === 0) {
      return { kind: 'removed', plugin: changedBy.at(-1)!, message: `${who}: removed by plugin ${by}, nothing fanned out; reported as success` };
    }
    return { kind: 'rewritten', plugins: changedBy, actions, message: `${who}: rewritten by plugin ${by} into ${actions.length} action${actions.length === 1 ? '' : 's'}` };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
