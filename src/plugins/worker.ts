import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { workerData } from 'node:worker_threads';
import type { KvGroup } from '../kvgroup/index.js';
import { documentShapeError } from './document-shape.js';
import type { PluginFailure, PluginLogLine, RewriteTask, WorkerManyResult, WorkerResult, WorkerTask } from './messages.js';
import { exceedsJsonBytes, fannedProblem, LOG_BYTES, tooLarge, type OutputLimits } from './output-limits.js';
import type { RewritePlugin, RewriteContext } from './types.js';
import { guardSignals, rememberGlobals, restoreGlobals } from './worker-guard.js';

/*
 * The plugin worker, run by Piscina in a thread with its own heap limit. It loads a plugin
 * module (fresh whenever the file's version changes), calls `rewrite`, and returns the
 * output as a checked document. A plugin that throws is answered with a failure; one that
 * hangs, exits or runs out of memory is stopped by the pool, which replaces this thread.
 */

guardSignals();
const requireFrom = createRequire(import.meta.url);
/**
 * What a call writes with console.* becomes its log lines, tagged with its ids and masked like
 * the rest, instead of bare text on the host's stdout. Outside a call, console writes as usual.
 */
let captured: RewriteContext['log'] | undefined;
for (const [method, level] of [['debug', 'debug'], ['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error']] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => (captured ? captured[level](format(...args)) : original(...args));
}

const limits = (workerData as { limits: OutputLimits }).limits;
const loaded = new Map<string, { version: string; plugin: RewritePlugin }>();

function failure(code: PluginFailure['code'], message: string, logs: PluginLogLine[] = []): WorkerResult {
  return { ok: false, error: { code, message }, logs };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}

async function load(task: WorkerTask): Promise<RewritePlugin> {
  const cached = loaded.get(task.modulePath);
  if (cached && cached.version === task.version) return cached.plugin;
  let mod: Record<string, unknown>;
  if (task.moduleFormat === 'cjs') {
    // The CommonJS cache is keyed by path alone: drop the old entry to read the new file.
    delete requireFrom.cache[task.modulePath];
    mod = { default: requireFrom(task.modulePath) };
  } else {
    // ES modules are cached by URL: a new query string is a new module.
    mod = (await import(`${pathToFileURL(task.modulePath).href}?v=${encodeURIComponent(task.version)}`)) as Record<string, unknown>;
  }
  const candidate = (mod.default ?? mod) as Partial<RewritePlugin> | undefined;
  const rewrite = candidate?.rewrite ?? (mod.rewrite as RewritePlugin['rewrite'] | undefined);
  if (typeof rewrite !== 'function') throw new Error('the module has no default export with a rewrite(input, context) function');
  const plugin: RewritePlugin = { rewrite: rewrite.bind(candidate) };
  loaded.set(task.modulePath, { version: task.version, plugin });
  rememberGlobals();
  return plugin;
}

function contextFor(task: RewriteTask, logs: PluginLogLine[]): RewriteContext {
  let budget = LOG_BYTES;
  const line = (level: PluginLogLine['level']) => (message: string, meta?: Record<string, unknown>) => {
    // A chatty plugin must not make the answer large: lines past the budget are dropped.
    if (budget <= 0) return;
    let size = String(message).length;
    try {
      size += meta === undefined ? 0 : (JSON.stringify(meta)?.length ?? 0);
    } catch {
      meta = { meta: 'not serialisable' };
    }
    budget -= size;
    if (budget <= 0) {
      logs.push({ level: 'warn', message: `further log lines of this call dropped: more than ${LOG_BYTES} bytes` });
      return;
    }
    logs.push(meta === undefined ? { level, message: String(message) } : { level, message: String(message), meta });
  };
  const log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  captured = log;
  return {
    options: task.options,
    plugin: task.plugin,
    batchId: task.batchId,
    actionId: task.actionId,
    log,
  };
}

export default async function run(task: WorkerTask): Promise<WorkerResult | WorkerManyResult> {
  let plugin: RewritePlugin;
  try {
    plugin = await load(task);
  } catch (err) {
    const result = failure('PLUGIN_LOAD', `cannot load: ${errorText(err)}`);
    if ((err as Error | undefined)?.name === 'SyntaxError' && !result.ok) result.error.syntax = true;
    return result;
  }
  if (task.kind === 'probe') return { ok: true, output: null, logs: [] };
  if (task.kind === 'rewrite-many') {
    // The globals are reset between calls once, not twice (after one and again before the
    // next, ~20 µs each): what a call left in the microtask queue runs first, then the reset.
    const results: WorkerResult[] = [];
    for (const item of task.items) {
      await drainMicrotasks();
      if (!restoreGlobals()) process.exit(1);
      results.push(await call(plugin, { ...task, kind: 'rewrite', input: item.input, actionId: item.actionId, batchId: item.batchId ?? task.batchId }));
    }
    await drainMicrotasks();
    if (!restoreGlobals()) process.exit(1);
    return { ok: true, results };
  }
  // Also before: a timer an earlier call left behind may have fired since its reset.
  if (!restoreGlobals()) process.exit(1);
  const result = await call(plugin, task);
  await drainMicrotasks();
  // A global that cannot be removed would stay for the next call: this thread ends here, and
  // the call that left it fails as a crash (the pool starts a fresh thread).
  if (!restoreGlobals()) process.exit(1);
  return result;
}

/**
 * Turns of the microtask queue given to what a call left behind (a promise chain it did not
 * wait for) before the globals are reset: about what the awaits around a call gave it when
 * the reset ran in a `finally` after each call, and again before the next.
 */
const DRAIN_TURNS = 8;

async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < DRAIN_TURNS; i++) await undefined;
}

/** One call, its console captured into its log lines while it runs. */
async function call(plugin: RewritePlugin, task: RewriteTask): Promise<WorkerResult> {
  try {
    return await rewriteUnguarded(plugin, task);
  } finally {
    captured = undefined;
  }
}

async function rewriteUnguarded(plugin: RewritePlugin, task: RewriteTask): Promise<WorkerResult> {
  const logs: PluginLogLine[] = [];
  let result: unknown;
  try {
    result = await plugin.rewrite(task.input, contextFor(task, logs));
  } catch (err) {
    return failure('PLUGIN_THREW', `threw: ${errorText(err)}`, logs);
  }
  if (typeof result === 'string') {
    const bytes = Buffer.byteLength(result);
    if (bytes > limits.pluginOutputBytes) return { ok: false, error: tooLarge(`returned ${bytes} bytes of text, more than limits.pluginOutputBytes (${limits.pluginOutputBytes})`), logs };
    try {
      // Loaded only by a plugin that answers in text: the parser costs each thread ~30 MB.
      const { parseKvg } = await import('../kvgroup/parser.js');
      const doc = parseKvg(result, { source: 'output' });
      if (doc.length !== 1) return failure('PLUGIN_BAD_OUTPUT', `returned ${doc.length} top-level groups, not one`, logs);
      const fanned = fannedProblem(doc[0]!, limits);
      return fanned ? { ok: false, error: fanned, logs } : { ok: true, output: doc[0]!, logs };
    } catch (err) {
      return failure('PLUGIN_BAD_OUTPUT', `returned text that does not parse: ${errorText(err)}`, logs);
    }
  }
  // Sized before anything else walks it: shared arrays can make a small object a huge document.
  if (exceedsJsonBytes(result, limits.pluginOutputBytes)) {
    return { ok: false, error: tooLarge(`returned a document of more than limits.pluginOutputBytes (${limits.pluginOutputBytes}) bytes`), logs };
  }
  const shape = documentShapeError(result);
  if (shape) return failure('PLUGIN_BAD_OUTPUT', `returned something that is not a document: ${shape}`, logs);
  const fanned = fannedProblem(result as KvGroup, limits);
  if (fanned) return { ok: false, error: fanned, logs };
  // Anything else the shape check let through that cannot be cloned (a function on a group,
  // say) makes the pool's postMessage fail; the pool reports that as bad output.
  return { ok: true, output: result as KvGroup, logs };
}
