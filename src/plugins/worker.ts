import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { KvGroup } from '../kvgroup/index.js';
import { documentShapeError } from './document-shape.js';
import type { PluginFailure, PluginLogLine, RewriteTask, WorkerManyResult, WorkerResult, WorkerTask } from './messages.js';
import type { RewritePlugin, RewriteContext } from './types.js';

/*
 * The plugin worker, run by Piscina in a thread with its own heap limit. It loads a plugin
 * module (fresh whenever the file's version changes), calls `rewrite`, and returns the
 * output as a checked document. A plugin that throws is answered with a failure; one that
 * hangs, exits or runs out of memory is stopped by the pool, which replaces this thread.
 */

const requireFrom = createRequire(import.meta.url);
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
  return plugin;
}

function contextFor(task: RewriteTask, logs: PluginLogLine[]): RewriteContext {
  const line = (level: PluginLogLine['level']) => (message: string, meta?: Record<string, unknown>) => {
    logs.push(meta === undefined ? { level, message: String(message) } : { level, message: String(message), meta });
  };
  return {
    options: task.options,
    plugin: task.plugin,
    batchId: task.batchId,
    actionId: task.actionId,
    log: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
  };
}

export default async function run(task: WorkerTask): Promise<WorkerResult | WorkerManyResult> {
  let plugin: RewritePlugin;
  try {
    plugin = await load(task);
  } catch (err) {
    return failure('PLUGIN_LOAD', `cannot load: ${errorText(err)}`);
  }
  if (task.kind === 'probe') return { ok: true, output: null, logs: [] };
  if (task.kind === 'rewrite-many') {
    const results: WorkerResult[] = [];
    for (const item of task.items) {
      results.push(await rewriteOne(plugin, { ...task, kind: 'rewrite', input: item.input, actionId: item.actionId }));
    }
    return { ok: true, results };
  }
  return rewriteOne(plugin, task);
}

async function rewriteOne(plugin: RewritePlugin, task: RewriteTask): Promise<WorkerResult> {
  const logs: PluginLogLine[] = [];
  let result: unknown;
  try {
    result = await plugin.rewrite(task.input, contextFor(task, logs));
  } catch (err) {
    return failure('PLUGIN_THREW', `threw: ${errorText(err)}`, logs);
  }
  if (typeof result === 'string') {
    try {
      // Loaded only by a plugin that answers in text: the parser costs each thread ~30 MB.
      const { parseKvg } = await import('../kvgroup/parser.js');
      const doc = parseKvg(result, { source: 'output' });
      if (doc.length !== 1) return failure('PLUGIN_BAD_OUTPUT', `returned ${doc.length} top-level groups, not one`, logs);
      return { ok: true, output: doc[0]!, logs };
    } catch (err) {
      return failure('PLUGIN_BAD_OUTPUT', `returned text that does not parse: ${errorText(err)}`, logs);
    }
  }
  const shape = documentShapeError(result);
  if (shape) return failure('PLUGIN_BAD_OUTPUT', `returned something that is not a document: ${shape}`, logs);
  // Anything else the shape check let through that cannot be cloned (a function on a group,
  // say) makes the pool's postMessage fail; the pool reports that as bad output.
  return { ok: true, output: result as KvGroup, logs };
}
