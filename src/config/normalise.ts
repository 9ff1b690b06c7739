import { basename, extname, resolve } from 'node:path';
import { DEFAULTS, TRIGGER_TIMEOUT_MS } from './defaults.js';
import { ConfigError } from './error.js';
import { crossKeyRules } from './rules.js';
import { describe, validateSchema } from './schema.js';
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
    limits: { ...DEFAULTS.limits, ...(data.limits as object | undefined) },
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
  const errors = crossKeyRules(config);
  if (errors.length > 0) throw new ConfigError(errors, file);
  return config;
}

