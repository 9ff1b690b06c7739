import { basename, extname, resolve } from 'node:path';
import { DEFAULTS, POSTGRES_STORE_DEFAULTS, TRIGGER_TIMEOUT_MS } from './defaults.js';
import { ConfigError } from './error.js';
import type { EventType } from '../events.js';
import { httpRules, normaliseHttp, type RawHttp } from './http.js';
import { pruneOnce } from './prune.js';
import { crossKeyRules, storeRules } from './rules.js';
import { schemaErrors, schemaValidator } from './schema.js';
import type { Config, RetryPolicy, StoreConfig, TargetOverrides, TriggerConfig } from './types.js';

/**
 * Every problem of raw config data at once: the schema's, and the cross-key rules' on the part
 * the schema accepts. Each reads `path.to.key: what is wrong`. The config, when there is none.
 */
export function configProblems(raw: unknown, baseDir: string, file?: string, cwd: string = process.cwd()): { config?: Config; errors: string[] } {
  // No config file (`{}`): the schema requires no key, so there is nothing to check, and a daemon
  // on a home without a config does not compile the schema (test/config.test.ts holds this).
  if (isEmptyObject(raw) || schemaValidator()(raw)) {
    const config = build(raw, baseDir, file, cwd);
    const errors = rulesOf(config, raw);
    return errors.length ? { errors } : { config, errors };
  }
  const validate = schemaValidator();
  const errors = schemaErrors(validate.errors ?? []);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { errors };
  const pruned = structuredClone(raw) as Record<string, unknown>;
  for (let round = 0; round < 16 && !validate(pruned); round++) {
    if (!pruneOnce(pruned, validate.errors ?? [])) break;
  }
  if (!validate(pruned)) return { errors };
  // A key the schema refused was cut away: the rules' "is required" for it would say it twice.
  const refused = new Set(errors.map((e) => e.slice(0, e.indexOf(':'))));
  const rules = rulesOf(build(pruned, baseDir, file, cwd), pruned).filter((e) => !refused.has(e.slice(0, e.indexOf(':'))));
  return { errors: [...errors, ...rules] };
}

const isEmptyObject = (raw: unknown): raw is Record<string, never> => typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.keys(raw).length === 0;

/** The rules that span keys, the HTTP section's among them. */
function rulesOf(config: Config, raw: unknown): string[] {
  const data = raw as { http?: RawHttp; store?: Record<string, unknown> };
  return [...crossKeyRules(config), ...storeRules(data.store), ...(config.http && data.http ? httpRules(data.http, config.http) : [])];
}

/**
 * Turns raw config data into a `Config`. `baseDir` is where relative paths start: the config
 * file's folder, or the working directory when there is no file.
 */
export function normaliseConfig(raw: unknown, baseDir: string, file?: string, cwd: string = process.cwd()): Config {
  const { config, errors } = configProblems(raw, baseDir, file, cwd);
  if (!config) throw new ConfigError(errors, file);
  return config;
}

/** Defaults filled in and paths made absolute, on data the schema accepts. */
function build(raw: unknown, baseDir: string, file: string | undefined, cwd: string): Config {
  const data = raw as Partial<Record<keyof Config, unknown>>;
  const merged = { ...DEFAULTS, ...data } as Config;
  const list = data.rewritePlugin;
  const config: Config = {
    ...merged,
    // A path written in the file is relative to the file; the default, to where tmon runs.
    pluginsDir: data.pluginsDir === undefined ? resolve(cwd, DEFAULTS.pluginsDir) : resolve(baseDir, merged.pluginsDir),
    inbox: typeof data.inbox === 'string' ? resolve(baseDir, data.inbox) : null,
    rewritePlugin: list == null ? [] : typeof list === 'string' ? [list] : [...(list as string[])],
    interpreters: { ...DEFAULTS.interpreters, ...(data.interpreters as Record<string, string> | undefined) },
    retry: { ...DEFAULTS.retry, ...(data.retry as Partial<RetryPolicy> | undefined) },
    replies: { ...DEFAULTS.replies, ...(data.replies as object | undefined) },
    logs: { ...DEFAULTS.logs, ...(data.logs as object | undefined) },
    limits: { ...DEFAULTS.limits, ...(data.limits as object | undefined) },
    retention: { ...DEFAULTS.retention, ...(data.retention as object | undefined) },
    store: storeOf(data.store as Partial<StoreConfig> | undefined),
    targets: Object.fromEntries(
      Object.entries((data.targets ?? {}) as Record<string, TargetOverrides>).map(([host, t]) => [host, targetPaths(t, baseDir)]),
    ),
    triggers: ((data.triggers ?? []) as Array<Partial<TriggerConfig> & { event?: EventType | EventType[]; filter?: Record<string, string | string[]> }>).map((t) => ({
      name: t.name ?? basename(t.script!, extname(t.script!)),
      events: typeof t.event === 'string' ? [t.event] : [...t.event!],
      script: resolve(baseDir, t.script!),
      args: t.args ?? [],
      format: t.format ?? 'json',
      filter: Object.fromEntries(Object.entries(t.filter ?? {}).map(([k, v]) => [k, typeof v === 'string' ? [v] : v])),
      timeoutMs: t.timeoutMs ?? TRIGGER_TIMEOUT_MS,
    })),
    ...(data.http ? { http: normaliseHttp(data.http as RawHttp, baseDir) } : {}),
    ...(file ? { file } : {}),
  };
  return config;
}

/** The store's settings: a postgres store's defaults filled in; a sqlite store has none. */
function storeOf(raw: Partial<StoreConfig> | undefined): StoreConfig {
  if (raw?.kind !== 'postgres') return DEFAULTS.store;
  return { ...POSTGRES_STORE_DEFAULTS, ...raw, kind: 'postgres', url: raw.url ?? '' };
}

/** A target's file names (script, bind password file, CA certificate) made absolute. */
function targetPaths(t: TargetOverrides, baseDir: string): TargetOverrides {
  const out = { ...t };
  if (t.script) out.script = resolve(baseDir, t.script);
  if (t.passwordFile) out.passwordFile = resolve(baseDir, t.passwordFile);
  if (t.tls?.ca) out.tls = { ...t.tls, ca: resolve(baseDir, t.tls.ca) };
  return out;
}
