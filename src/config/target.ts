import { TARGET_DEFAULTS } from './defaults.js';
import type { Config, TargetConfig } from './types.js';

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

