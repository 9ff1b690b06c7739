import { basename, extname, resolve } from 'node:path';
import { DEFAULTS, TRIGGER_TIMEOUT_MS } from './defaults.js';
import { ConfigError } from './error.js';
import { httpRules, normaliseHttp, type RawHttp } from './http.js';
import { crossKeyRules } from './rules.js';
import { describe, validateSchema } from './schema.js';
import type { EventType } from '../events.js';
import type { Config, RetryPolicy, TargetOverrides, TriggerConfig } from './types.js';

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
  const errors = [...crossKeyRules(config), ...(config.http ? httpRules(data.http as RawHttp, config.http) : [])];
  if (errors.length > 0) throw new ConfigError(errors, file);
  return config;
}

/** A target's file names (script, bind password file, CA certificate) made absolute. */
function targetPaths(t: TargetOverrides, baseDir: string): TargetOverrides {
  const out = { ...t };
  if (t.script) out.script = resolve(baseDir, t.script);
  if (t.passwordFile) out.passwordFile = resolve(baseDir, t.passwordFile);
  if (t.tls?.ca) out.tls = { ...t.tls, ca: resolve(baseDir, t.tls.ca) };
  return out;
}
