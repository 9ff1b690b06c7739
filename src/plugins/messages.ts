import type { KvGroup } from '../kvgroup/index.js';

/*
 * The messages between the daemon and a plugin worker thread. Everything is plain data: it
 * crosses the thread boundary by structured clone, so errors travel as `{code, message}`
 * and are recognised by `code`.
 */

export type ModuleFormat = 'esm' | 'cjs';

interface TaskBase {
  /** Absolute path of the plugin module. */
  modulePath: string;
  moduleFormat: ModuleFormat;
  /** Changes whenever the file does, so the worker never serves a stale module. */
  version: string;
}

/** Run the plugin's `rewrite` on one input document. */
export interface RewriteTask extends TaskBase {
  kind: 'rewrite';
  plugin: string;
  input: KvGroup;
  options: Record<string, unknown>;
  batchId: string;
  actionId: string;
  /** An output that leaves the action unchanged may come back as its verdict only (brief.ts). */
  brief?: boolean;
}

/**
 * Run the plugin's `rewrite` on each of several inputs (the primaries of one batch): one
 * message there and back for all of them, instead of one each.
 */
export interface RewriteManyTask extends TaskBase {
  kind: 'rewrite-many';
  plugin: string;
  options: Record<string, unknown>;
  batchId: string;
  /** `batchId` per item when the items come from several batches; the task's otherwise. */
  items: Array<{ actionId: string; input: KvGroup; batchId?: string }>;
  /** An output that leaves its action unchanged may come back as its verdict only (brief.ts). */
  brief?: boolean;
}

/** Load the module and say whether it is a plugin, running nothing of it but its top level. */
export interface ProbeTask extends TaskBase {
  kind: 'probe';
}

export type WorkerTask = RewriteTask | RewriteManyTask | ProbeTask;

export interface PluginLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
}

/** Why a plugin run failed; stable codes, checked by value across the boundary. */
export type PluginErrorCode =
  | 'PLUGIN_NOT_FOUND'
  | 'PLUGIN_LOAD'
  | 'PLUGIN_THREW'
  | 'PLUGIN_TIMEOUT'
  | 'PLUGIN_CRASHED'
  | 'PLUGIN_OUT_OF_MEMORY'
  | 'PLUGIN_EXIT_NONZERO'
  | 'PLUGIN_BAD_OUTPUT'
  | 'PLUGIN_RETVAL'
  | 'PLUGIN_OUTPUT_TOO_LARGE';

export interface PluginFailure {
  code: PluginErrorCode;
  message: string;
  /** PLUGIN_LOAD only: the module did not parse, and the daemon can find where (load-error.ts). */
  syntax?: boolean;
  /** Lost with the plugin host a second time, after running once more alone: not to be run again. */
  retried?: boolean;
}

/** What the daemon uses of an output with changed ≠ "true"; null where the pair is missing. */
export interface UnchangedVerdict {
  changed: string | null;
  retval: string | null;
  /** Action groups in the output's batch groups: other than one is warned about. */
  actions: number;
}

export type WorkerResult =
  | { ok: true; output: KvGroup | null; logs: PluginLogLine[]; verdict?: undefined }
  // A brief task's unchanged output, cut to what the daemon uses of it.
  | { ok: true; output: null; verdict: UnchangedVerdict; logs: PluginLogLine[] }
  | { ok: false; error: PluginFailure; logs: PluginLogLine[] };

/** The answer to a RewriteManyTask: one result per item, in order (or one failure for all). */
export type WorkerManyResult = { ok: true; results: WorkerResult[] } | { ok: false; error: PluginFailure };
