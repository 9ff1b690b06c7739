import { Ajv, type ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { basename, extname } from 'node:path';
import { TmonError, hasCode } from './errors.js';
import { EVENT_TYPES, type EventType } from './store/types.js';

/*
 * Configuration: an ajv schema, then normalisation (defaults, one plugin name → a list,
 * paths made absolute against the config file's folder), then the rules that span keys.
 * Every error reads `path.to.key: what is wrong`, and all of them are reported at once.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export type OnPluginError = 'primary' | 'fail';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export type ConnectorKind = 'directory' | 'script';

/** One target (hostid) as the engine sees it, with `"*"` and the defaults filled in. */
export interface TargetConfig {
  connector: ConnectorKind;
  concurrency: number;
  retry: RetryPolicy;
  /** Script connector: the program, its arguments and its time limit. */
  script?: string;
  args: string[];
  timeoutMs: number;
}

type TargetOverrides = Partial<Omit<TargetConfig, 'retry'>> & { retry?: Partial<RetryPolicy> };

export type PayloadFormat = 'kvgroup' | 'json' | 'xml';

/** A script run when an event happens (contract §8). */
export interface TriggerConfig {
  /** What `tmon triggers test NAME` calls it: given, or the script's file name without extension. */
  name: string;
  event: EventType;
  script: string;
  args: string[];
  format: PayloadFormat;
  /** Only events about these targets or operations (an event without the field does not match). */
  filter: { hostid?: string[]; operation?: string[] };
  timeoutMs: number;
}

export interface Config {
  /** Absolute path of the plugins folder. */
  pluginsDir: string;
  /** The plugins applied to every action, in order; empty: actions run as submitted. */
  rewritePlugin: string[];
  /** `pluginOptions.<name>` reaches plugin `<name>` as `context.options`. */
  pluginOptions: Record<string, unknown>;
  pluginTimeoutMs: number;
  pluginMemoryMb: number;
  /** Worker threads for JS plugins. */
  pluginThreads: number;
  onPluginError: OnPluginError;
  /** File extension (with its dot) → the program that runs such a plugin. */
  interpreters: Record<string, string>;
  /** Per hostid (or `"*"` for all) connector settings; see `targetFor`. */
  targets: Record<string, TargetOverrides>;
  retry: RetryPolicy;
  replies: { mode: 'action' | 'tree' };
  /** How often the inbox is swept besides watching it (a watcher can miss events). */
  inboxSweepMs: number;
  /** How long SIGTERM waits for running actions before closing. */
  shutdownGraceMs: number;
  /** Most actions running at once, all targets together. */
  maxRunning: number;
  /** SQLite `synchronous`: FULL (every commit on disk) or NORMAL (faster; a power cut may lose the last commits). */
  storeSync: 'FULL' | 'NORMAL';
  triggers: TriggerConfig[];
  /** Trigger scripts running at once. */
  triggerConcurrency: number;
  /** Waits between a trigger's tries; one more try than waits (default: 5 tries). */
  triggerRetryDelaysMs: number[];
  /** The config file read, if any. */
  file?: string;
}

export const DEFAULTS: Omit<Config, 'file'> = Object.freeze({
  pluginsDir: './plugins',
  rewritePlugin: [],
  pluginOptions: {},
  pluginTimeoutMs: 5 * SECOND,
  pluginMemoryMb: 64,
  pluginThreads: 2,
  onPluginError: 'primary',
  interpreters: { '.py': 'python3', '.sh': 'sh' },
  targets: {},
  retry: { attempts: 5, firstDelayMs: 1 * SECOND, maxDelayMs: 5 * MINUTE },
  replies: { mode: 'action' as const },
  inboxSweepMs: 2 * SECOND,
  shutdownGraceMs: 30 * SECOND,
  maxRunning: 64,
  storeSync: 'FULL',
  triggers: [],
  triggerConcurrency: 2,
  triggerRetryDelaysMs: [1 * SECOND, 2 * SECOND, 4 * SECOND, 8 * SECOND],
});

export const TRIGGER_TIMEOUT_MS = 30 * SECOND;

/** Connector settings of a target that names none. */
export const TARGET_DEFAULTS = Object.freeze({ connector: 'directory' as ConnectorKind, concurrency: 4, args: [] as string[], timeoutMs: 30 * SECOND });

/** A target's settings: its own entry over `"*"` over the defaults (retry merged key by key). */
export function targetFor(config: Config, hostid: string): TargetConfig {
  const star = config.targets['*'] ?? {};
  const own = config.targets[hostid] ?? {};
  return {
    ...TARGET_DEFAULTS,
    ...star,
    ...own,
    retry: { ...config.retry, ...star.retry, ...own.retry },
  } as TargetConfig;
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pluginsDir: { type: 'string', minLength: 1 },
    rewritePlugin: {
      anyOf: [{ type: 'null' }, { type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }],
    },
    pluginOptions: { type: 'object', additionalProperties: { type: 'object' } },
    pluginTimeoutMs: { type: 'integer', minimum: 1 },
    pluginMemoryMb: { type: 'integer', minimum: 8 },
    pluginThreads: { type: 'integer', minimum: 1, maximum: 64 },
    onPluginError: { enum: ['primary', 'fail'] },
    interpreters: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    targets: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          connector: { enum: ['directory', 'script'] },
          concurrency: { type: 'integer', minimum: 1 },
          script: { type: 'string', minLength: 1 },
          args: { type: 'array', items: { type: 'string' } },
          timeoutMs: { type: 'integer', minimum: 1 },
          retry: { $ref: '#/$defs/retry' },
        },
      },
    },
    retry: { $ref: '#/$defs/retry' },
    replies: { type: 'object', additionalProperties: false, properties: { mode: { enum: ['action', 'tree'] } } },
    inboxSweepMs: { type: 'integer', minimum: 10 },
    shutdownGraceMs: { type: 'integer', minimum: 0 },
    maxRunning: { type: 'integer', minimum: 1 },
    storeSync: { enum: ['FULL', 'NORMAL'] },
    triggers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['event', 'script'],
        properties: {
          name: { type: 'string', minLength: 1 },
          event: { enum: [...EVENT_TYPES] },
          script: { type: 'string', minLength: 1 },
          args: { type: 'array', items: { type: 'string' } },
          format: { enum: ['kvgroup', 'json', 'xml'] },
          filter: {
            type: 'object',
            additionalProperties: false,
            properties: { hostid: { $ref: '#/$defs/names' }, operation: { $ref: '#/$defs/names' } },
          },
          timeoutMs: { type: 'integer', minimum: 1 },
        },
      },
    },
    triggerConcurrency: { type: 'integer', minimum: 1 },
    triggerRetryDelaysMs: { type: 'array', items: { type: 'integer', minimum: 0 } },
  },
  $defs: {
    names: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }] },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 1 },
        firstDelayMs: { type: 'integer', minimum: 0 },
        maxDelayMs: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateSchema = ajv.compile(SCHEMA);

export class ConfigError extends TmonError {
  readonly errors: string[];

  constructor(errors: string[], file?: string) {
    super('CONFIG_INVALID', `${file ? `config ${file}: ` : 'config: '}${errors.join('; ')}`);
    this.errors = errors;
  }
}

function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '(top level)' : parts.join('.');
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `${keyPath(e.instancePath, (e.params as { additionalProperty: string }).additionalProperty)}: is not a known setting`;
    case 'required':
      return `${keyPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}: is required`;
    case 'enum':
      return `${keyPath(e.instancePath)}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf':
      return `${keyPath(e.instancePath)}: must be a plugin name, a list of plugin names, or null`;
    default:
      return `${keyPath(e.instancePath)}: ${e.message ?? 'is not valid'}`;
  }
}

/**
 * Turns raw config data into a `Config`. `baseDir` is where relative paths start: the config
 * file's folder, or the working directory when there is no file.
 */
export function normaliseConfig(raw: unknown, baseDir: string, file?: string, cwd: string = process.cwd()): Config {
  if (!validateSchema(raw)) {
    // anyOf also reports each failed branch; its own summary says it better.
    const errors = validateSchema.errors ?? [];
    const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
    const messages = errors.filter((e) => e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath)).map(describe);
    throw new ConfigError([...new Set(messages)], file);
  }
  const data = raw as Partial<Record<keyof Config, unknown>>;
  const merged = { ...DEFAULTS, ...data } as Config;
  const list = data.rewritePlugin;
  const config: Config = {
    ...merged,
    // A path written in the file is relative to the file; the default, to where tmon runs.
    pluginsDir: data.pluginsDir === undefined ? resolve(cwd, DEFAULTS.pluginsDir) : resolve(baseDir, merged.pluginsDir),
    rewritePlugin: list == null ? [] : typeof list === 'string' ? [list] : [...(list as string[])],
    interpreters: { ...DEFAULTS.interpreters, ...(data.interpreters as Record<string, string> | undefined) },
    retry: { ...DEFAULTS.retry, ...(data.retry as Partial<RetryPolicy> | undefined) },
    replies: { ...DEFAULTS.replies, ...(data.replies as object | undefined) },
    targets: Object.fromEntries(
      Object.entries((data.targets ?? {}) as Record<string, TargetOverrides>).map(([host, t]) => [host, t.script ? { ...t, script: resolve(baseDir, t.script) } : t]),
    ),
    triggers: ((data.triggers ?? []) as Array<Partial<TriggerConfig> & { filter?: Record<string, string | string[]> }>).map((t) => ({
      name: t.name ?? basename(t.script!, extname(t.script!)),
      event: t.event!,
      script: resolve(baseDir, t.script!),
      args: t.args ?? [],
      format: t.format ?? 'json',
      filter: Object.fromEntries(Object.entries(t.filter ?? {}).map(([k, v]) => [k, typeof v === 'string' ? [v] : v])),
      timeoutMs: t.timeoutMs ?? TRIGGER_TIMEOUT_MS,
    })),
    ...(file ? { file } : {}),
  };
  const errors: string[] = [];
  config.triggers.forEach((t, i) => {
    const first = config.triggers.findIndex((o) => o.name === t.name);
    if (first !== i) errors.push(`triggers[${i}].name: "${t.name}" is also the name of triggers[${first}]; give each trigger its own name`);
  });
  for (const ext of Object.keys(config.interpreters)) {
    if (!/^\.[^./\\]+$/.test(ext)) errors.push(`interpreters.${ext}: must be a file extension with its dot, such as ".py"`);
    if (['.js', '.mjs', '.cjs'].includes(ext)) errors.push(`interpreters.${ext}: JavaScript plugins run in worker threads, not through an interpreter`);
  }
  const checkRetry = (path: string, r: Partial<RetryPolicy> | undefined): void => {
    const first = r?.firstDelayMs ?? config.retry.firstDelayMs;
    const max = r?.maxDelayMs ?? config.retry.maxDelayMs;
    if (first > max) errors.push(`${path}.firstDelayMs: must not exceed ${path}.maxDelayMs (${max})`);
  };
  checkRetry('retry', config.retry);
  for (const [host, t] of Object.entries(config.targets)) {
    if (t.retry) checkRetry(`targets.${host}.retry`, t.retry);
    const kind = t.connector ?? config.targets['*']?.connector ?? TARGET_DEFAULTS.connector;
    if (kind === 'script' && !t.script && !config.targets['*']?.script) errors.push(`targets.${host}.script: is required for the script connector`);
    if (kind !== 'script' && t.script) errors.push(`targets.${host}.script: only the script connector runs a script`);
  }
  if (errors.length > 0) throw new ConfigError(errors, file);
  return config;
}

/**
 * Reads a config file (JSON). `required` false: a missing file means the embedded defaults.
 */
export function loadConfig(file: string | undefined, options: { required?: boolean; cwd?: string } = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  if (!file) return normaliseConfig({}, cwd, undefined, cwd);
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT') && !options.required) return normaliseConfig({}, cwd, undefined, cwd);
    if (hasCode(err, 'ENOENT')) throw new TmonError('CLI_NO_INPUT', `${file}: no such config file`);
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`(file): is not JSON: ${(err as Error).message}`], file);
  }
  return normaliseConfig(raw, dirname(path), file, cwd);
}
