import { TARGET_DEFAULTS } from './defaults.js';
import type { Config, RetryPolicy } from './types.js';

/** The rules that span keys, checked once the schema holds; each error is `path.to.key: what is wrong`. */
export function crossKeyRules(config: Config): string[] {
  const errors: string[] = [];
  config.triggers.forEach((t, i) => {
    const first = config.triggers.findIndex((o) => o.name === t.name);
    if (first !== i) errors.push(`triggers[${i}].name: "${t.name}" is also the name of triggers[${first}]; give each trigger its own name`);
  });
  for (const ext of Object.keys(config.interpreters)) {
    if (!/^\.[^./\\]+$/.test(ext)) errors.push(`interpreters.${ext}: must be a file extension with its dot, such as ".py"`);
    if (['.js', '.mjs', '.cjs'].includes(ext)) errors.push(`interpreters.${ext}: JavaScript plugins run in worker threads, not through an interpreter`);
  }
  // One worker at its heap limit, plus the host's own ~50 MB, must fit, or a plugin within its
  // own limit would get the whole host killed.
  const hostFloor = config.pluginMemoryMb + 64;
  if (config.pluginHostMemoryMb < hostFloor) errors.push(`pluginHostMemoryMb: must be at least pluginMemoryMb + 64 (${hostFloor})`);
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
  return errors;
}
