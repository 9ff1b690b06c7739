import type { Action, Batch, ValidateOptions } from '../batch/index.js';
import { checkRewriteOutput, sliceForAction } from '../batch/index.js';
import type { Config } from '../config/index.js';
import { getValue, isGroup, isPair, printKvg, type KvGroup } from '../kvgroup/index.js';
import type { Logger } from '../log.js';
import { passwordsOf, redact, redactDeep } from '../redact.js';
import { minimalEnv } from '../child-process.js';
import { runExecutable } from './executable.js';
import { locateSyntaxError } from './load-error.js';
import type { PluginFailure, PluginLogLine, UnchangedVerdict, WorkerResult } from './messages.js';
import type { RewriteOutcome } from './outcome.js';
import { PluginPool } from './pool.js';
import { PluginRegistry, type PluginEntry } from './registry.js';
import { PluginSandbox } from './sandbox.js';

/** Whole-task failures after which each item runs on its own: a crash, not a time-out. */
const RETRY_EACH = new Set<PluginFailure['code']>(['PLUGIN_CRASHED', 'PLUGIN_OUT_OF_MEMORY']);

export type PluginRun = { ok: true; output: KvGroup; verdict?: undefined } | { ok: false; error: PluginFailure };
/** A run asked for briefly: an output that left the action unchanged comes as its verdict (brief.ts). */
export type BriefRun = PluginRun | { ok: true; output?: undefined; verdict: UnchangedVerdict };
type Item = { actionId: string; input: KvGroup; batchId?: string };

export interface PluginHostOptions {
  /**
   * Run JS plugins in the sandboxed plugin-host process (the default), or in a worker pool in
   * this process (no permission model, no host memory limit: benchmarks and comparisons only).
   */
  sandbox?: boolean;
}

/** What the host has spent, for the board and for tests. */
export interface PluginHostStats {
  /** JS plugin tasks stopped at pluginTimeoutMs (one per task, however many actions it held). */
  timeouts: number;
  /** Plugin-host processes started, and those lost (crashed or killed) with calls in flight. */
  hostsStarted: number;
  hostsLost: number;
}

export interface RunIds {
  batchId: string;
  actionId: string;
}

/**
 * Runs rewrite plugins: finds them in the plugins folder, runs JS ones in the worker pool of the
 * sandboxed plugin-host process (sandbox.ts, docs/sandbox.md) and executables as child
 * processes, and turns what they did into a `RewriteOutcome` by the rules of contract §3, with
 * the batch's passwords masked in everything it says. Never throws for anything a plugin does.
 */
export class PluginHost {
  readonly registry: PluginRegistry;
  private pool: PluginPool | PluginSandbox | undefined;
  private timeouts = 0;
  /** Where each broken plugin file's syntax error is, by path and version: asked once per file version. */
  private readonly syntaxErrors = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly options: PluginHostOptions = {},
  ) {
    this.registry = new PluginRegistry(config.pluginsDir, config.interpreters);
  }

  private workers(): PluginPool | PluginSandbox {
    if (this.pool) return this.pool;
    const { pluginThreads: threads, pluginMemoryMb: memoryMb, pluginTimeoutMs: timeoutMs, limits } = this.config;
    const pool = { threads, memoryMb, timeoutMs, limits: { pluginOutputBytes: limits.pluginOutputBytes, fannedPerAction: limits.fannedPerAction } };
    this.pool =
      this.options.sandbox === false
        ? new PluginPool(pool)
        : new PluginSandbox({ ...pool, pluginsDir: this.config.pluginsDir, hostMemoryMb: this.config.pluginHostMemoryMb }, this.logger);
    return this.pool;
  }

  get stats(): PluginHostStats {
    const counts = this.pool instanceof PluginSandbox ? this.pool.counts : { started: 0, lost: 0 };
    return { timeouts: this.timeouts, hostsStarted: counts.started, hostsLost: counts.lost };
  }

  /** The plugin-host process's id while it runs (undefined when none runs, or not sandboxed). */
  get hostPid(): number | undefined {
    return this.pool instanceof PluginSandbox ? this.pool.pid : undefined;
  }

  private counted<T extends { ok: boolean; error?: PluginFailure }>(r: T): T {
    if (!r.ok && r.error?.code === 'PLUGIN_TIMEOUT') this.timeouts++;
    return r;
  }

  /** A load failure with its syntax error's FILE:LINE:COLUMN, when it is one. */
  private async located(entry: PluginEntry, error: PluginFailure): Promise<PluginFailure> {
    if (error.code !== 'PLUGIN_LOAD' || !error.syntax) return error;
    const key = `${entry.path}\0${entry.version}`;
    let where = this.syntaxErrors.get(key);
    if (!where) {
      where = locateSyntaxError(entry.path);
      this.syntaxErrors.set(key, where);
    }
    const found = await where;
    return found ? { code: 'PLUGIN_LOAD', message: `cannot load: ${found}` } : { code: error.code, message: error.message };
  }

  private optionsFor(name: string): Record<string, unknown> {
    return (this.config.pluginOptions[name] as Record<string, unknown> | undefined) ?? {};
  }

  /**
   * A run's result as the caller gets it, its log lines relayed: the passwords of its input and
   * output are masked in everything the plugin said (it may quote them, by mistake or not).
   */
  private settle(r: WorkerResult | { ok: false; error: PluginFailure }, logs: PluginLogLine[], meta: Record<string, unknown>, input: KvGroup): BriefRun {
    // Walked only when something is said: most calls say nothing and succeed.
    const secrets = logs.length > 0 || !r.ok ? passwordsOf(input, r.ok ? (r.output ?? undefined) : undefined) : new Set<string>();
    for (const l of logs) this.logger[l.level](redact(l.message, secrets), redactDeep({ ...l.meta, ...meta }, secrets));
    if (r.ok) return r.verdict ? { ok: true, verdict: r.verdict } : { ok: true, output: r.output! };
    return { ok: false, error: { code: r.error.code, message: redact(r.error.message, secrets) } };
  }

  /** Runs one plugin once on one input document. */
  async runPlugin(name: string, input: KvGroup, ids: RunIds): Promise<PluginRun>;
  /** `brief`: an output that leaves the action unchanged may come back as its verdict only. */
  async runPlugin(name: string, input: KvGroup, ids: RunIds, brief: boolean): Promise<BriefRun>;
  async runPlugin(name: string, input: KvGroup, ids: RunIds, brief = false): Promise<BriefRun> {
    const entry = this.registry.get(name);
    if (!entry) return { ok: false, error: { code: 'PLUGIN_NOT_FOUND', message: `no plugin named ${name} in ${this.registry.dir}` } };
    if (entry.error) return { ok: false, error: { code: 'PLUGIN_LOAD', message: entry.error } };
    const meta = { plugin: name, batch: ids.batchId, action: ids.actionId };
    if (entry.kind === 'js') {
      const r = this.counted(await this.workers().run({
        kind: 'rewrite',
        modulePath: entry.path,
        moduleFormat: entry.moduleFormat!,
        version: entry.version,
        plugin: name,
        input,
        options: this.optionsFor(name),
        ...ids,
        ...(brief ? { brief } : {}),
      }));
      return this.settle(r.ok ? r : { ...r, error: await this.located(entry, r.error) }, r.logs, meta, input);
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
    }, this.config.limits);
    const said = r.stderr.split('\n').filter((line) => line.trim());
    return this.settle(r.ok ? { ok: true, output: r.output, logs: [] } : { ok: false, error: r.error, logs: [] }, said.map((line) => ({ level: 'info', message: `plugin stderr: ${line}` })), meta, input);
  }

  /** Loads a plugin without running it, and says why it cannot be used, if it cannot. */
  async probe(entry: PluginEntry): Promise<string | undefined> {
    if (entry.error) return entry.error;
    if (entry.kind === 'executable') return undefined;
    const r = await this.workers().run({ kind: 'probe', modulePath: entry.path, moduleFormat: entry.moduleFormat!, version: entry.version });
    return r.ok ? undefined : (await this.located(entry, r.error)).message;
  }

  /**
   * Runs one plugin on several inputs of one batch. JS plugins get them in one worker task (one
   * message there and back for the whole batch). If that task crashed (its worker died), each
   * input runs again on its own, so that the one that crashes it is told apart from the rest.
   * A task that timed out is not retried: a hanging plugin costs one time limit, not one each.
   * Items marked `brief` (the rewrite step's) may get a verdict instead of an output that left
   * their action unchanged (brief.ts).
   */
  async runPluginMany(name: string, batchId: string, items: ReadonlyArray<Item & { brief: true }>): Promise<BriefRun[]>;
  async runPluginMany(name: string, batchId: string, items: ReadonlyArray<Item>): Promise<PluginRun[]>;
  async runPluginMany(name: string, batchId: string, items: ReadonlyArray<Item & { brief?: boolean }>): Promise<BriefRun[]> {
    // Brief when every item asks for it (the proxy of http/metrics passes three arguments only).
    const brief = items.length > 0 && items.every((it) => it.brief === true);
    const entry = items.length > 1 ? this.registry.get(name) : undefined;
    if (entry && !entry.error && entry.kind === 'js') {
      const r = this.counted(
        await this.workers().runMany({
          kind: 'rewrite-many',
          modulePath: entry.path,
          moduleFormat: entry.moduleFormat!,
          version: entry.version,
          plugin: name,
          options: this.optionsFor(name),
          batchId,
          items: items.map((it) => ({ actionId: it.actionId, input: it.input, ...(it.batchId === undefined ? {} : { batchId: it.batchId }) })),
          ...(brief ? { brief } : {}),
        }),
      );
      if (r.ok) {
        return r.results.map((one, i) => this.settle(one, one.logs, { plugin: name, batch: items[i]!.batchId ?? batchId, action: items[i]!.actionId }, items[i]!.input));
      }
      if (!RETRY_EACH.has(r.error.code) || r.error.retried) {
        const error = await this.located(entry, r.error);
        return items.map((it) => this.settle({ ok: false, error }, [], {}, it.input));
      }
    }
    return Promise.all(items.map((it) => this.runPlugin(name, it.input, { batchId: it.batchId ?? batchId, actionId: it.actionId }, brief)));
  }

  /** Rewrites one primary action of a batch through the plugin chain (contract §3). */
  async rewrite(batch: Batch, primary: Action, chain: readonly string[] = this.config.rewritePlugin, lookup?: ValidateOptions['lookup']): Promise<RewriteOutcome> {
    return (await this.rewriteBatch(batch, chain, lookup, [primary]))[0]!;
  }

  /**
   * Rewrites primary actions of a batch (all of them by default) through the plugin chain
   * (contract §3), one outcome each. Each plugin's output is the next one's input; a failure
   * anywhere applies to the whole chain of that action.
   */
  async rewriteBatch(
    batch: Batch,
    chain: readonly string[] = this.config.rewritePlugin,
    lookup?: (batch: string, action: string, primaryId: string) => boolean,
    primaries: readonly Action[] = batch.actions,
  ): Promise<RewriteOutcome[]> {
    return this.rewriteMany([{ batch, primaries }], chain, lookup && ((b, a, primary) => lookup(b, a, primary.id)));
  }

  /**
   * Rewrites primary actions of several batches together: one message to the plugin host per
   * plugin of the chain for all of them, whatever batch each belongs to. Outcomes come in the
   * order of the primaries, batch by batch.
   */
  async rewriteMany(
    groups: ReadonlyArray<{ batch: Batch; primaries: readonly Action[] }>,
    chain: readonly string[] = this.config.rewritePlugin,
    lookup?: (batch: string, action: string, primary: { batch: string; id: string }) => boolean,
  ): Promise<RewriteOutcome[]> {
    const states = groups.flatMap(({ batch, primaries }) =>
      primaries.map((primary) => ({
        batch,
        primary,
        who: `action ${primary.id}`,
        current: sliceForAction(batch, primary),
        changedBy: [] as string[],
        lastCheck: undefined as ReturnType<typeof checkRewriteOutput> | undefined,
        ignored: undefined as string | undefined,
        outcome: undefined as RewriteOutcome | undefined,
      })),
    );
    if (chain.length === 0) return states.map((s) => ({ kind: 'none', message: `${s.who}: no rewrite plugin; runs as submitted` }));
    const policy = this.config.onPluginError;
    const keep = policy === 'primary' ? 'primary action kept as submitted' : 'action failed';
    // Every password of the batches and of what the plugins gave back is masked in what is said.
    const secrets = passwordsOf(...groups.map((g) => g.batch.root));
    const mask = (text: string): string => redact(text, secrets);
    for (const plugin of chain) {
      const active = states.filter((s) => !s.outcome);
      if (active.length === 0) break;
      const runs = await this.runPluginMany(plugin, active[0]!.batch.id, active.map((s) => ({ actionId: s.primary.id, input: s.current, batchId: s.batch.id, brief: true as const })));
      active.forEach((s, i) => {
        const run = runs[i]!;
        if (!run.ok) {
          s.outcome = { kind: 'plugin-error', plugin, code: run.error.code, policy, message: mask(`${s.who}: plugin ${plugin} ${run.error.message}; ${keep}`) };
          return;
        }
        // A verdict holds no password its input did not (brief.ts): nothing to add then.
        if (run.output) for (const p of passwordsOf(run.output)) secrets.add(p);
        const retval = run.verdict ? (run.verdict.retval ?? undefined) : getValue(run.output, 'retval');
        const changed = run.verdict ? (run.verdict.changed ?? undefined) : getValue(run.output, 'changed');
        if ((retval !== undefined && retval !== '0') || (changed === 'true' && retval === undefined)) {
          const said = retval === undefined ? 'no retval' : `retval "${retval}"`;
          s.outcome = { kind: 'plugin-error', plugin, code: 'PLUGIN_RETVAL', policy, message: mask(`${s.who}: plugin ${plugin} returned ${said}; ${keep}`) };
          return;
        }
        // Left as it was: routine, so only at debug (a line per action would cost more than the call).
        if (changed !== 'true') {
          if (this.logger.isDebugEnabled?.() !== false) this.logger.debug(mask(`plugin ${plugin} left the action unchanged (changed = ${JSON.stringify(changed ?? '')})`), { plugin, batch: s.batch.id, action: s.primary.id });
          // A count other than one means a rewrite was meant.
          const n = run.verdict ? run.verdict.actions : actionCount(run.output);
          if (n !== 1) s.ignored = `plugin ${plugin} gave back ${n} actions but changed = ${JSON.stringify(changed ?? '')}, not "true": its output is ignored`;
          return;
        }
        if (run.verdict) {
          // The pool never cuts an output that changed its action: a broken host, not a plugin's rule.
          s.outcome = { kind: 'plugin-error', plugin, code: 'PLUGIN_BAD_OUTPUT', policy, message: `${s.who}: plugin ${plugin} answered with a verdict but no output; ${keep}` };
          return;
        }
        const check = checkRewriteOutput({ batch: s.batch, primary: s.primary }, run.output, lookup ? { lookup: (b, a) => lookup(b, a, { batch: s.batch.id, id: s.primary.id }) } : {});
        if (check.problems.length > 0) {
          const problems = check.problems.map((p) => ({ ...p, message: mask(p.message) }));
          const first = problems[0]!.message;
          const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
          s.outcome = { kind: 'invalid-output', plugin, problems, message: `${s.who}: plugin ${plugin} output breaks a rule: ${first}${more}; action failed` };
          return;
        }
        s.changedBy.push(plugin);
        s.lastCheck = check;
        // The next plugin gets this output as its input, without this plugin's verdict pairs.
        s.current = { ...run.output, members: run.output.members.filter((m) => !(isPair(m) && (m.key === 'changed' || m.key === 'retval'))) };
      });
    }
    return states.map((s): RewriteOutcome => {
      if (s.outcome) return s.outcome;
      if (!s.lastCheck && s.ignored) return { kind: 'unchanged', plugins: [...chain], ignored: true, message: mask(`${s.who}: ${s.ignored}; runs as submitted`) };
      if (!s.lastCheck) return { kind: 'unchanged', plugins: [...chain], message: `${s.who}: ${chain.length > 1 ? 'no plugin' : `plugin ${chain[0]}`} left it unchanged; runs as submitted` };
      const actions = s.lastCheck.output!.actions.map((a) => a.group);
      const by = s.changedBy.join(', ');
      if (actions.length === 0) return { kind: 'removed', plugin: s.changedBy.at(-1)!, message: `${s.who}: removed by plugin ${by}, nothing fanned out; reported as success` };
      return { kind: 'rewritten', plugins: s.changedBy, actions, message: `${s.who}: rewritten by plugin ${by} into ${actions.length} action${actions.length === 1 ? '' : 's'}` };
    });
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

/** How many action groups an output document's batch groups hold. */
function actionCount(output: KvGroup): number {
  let n = 0;
  for (const b of output.members) if (isGroup(b) && b.type === 'batch') for (const a of b.members) if (isGroup(a) && a.type === 'action') n++;
  return n;
}
