/*
 * Configuration: an ajv schema (schema.ts), then normalisation (normalise.ts: defaults, one
 * plugin name → a list, paths made absolute against the config file's folder), then the rules
 * that span keys (rules.ts). Every error reads `path.to.key: what is wrong`.
 */
export * from './types.js';
export * from './defaults.js';
export { targetFor } from './target.js';
export { ConfigError } from './error.js';
export { configProblems, normaliseConfig } from './normalise.js';
export { checkConfigFile, loadConfig, type ConfigCheck } from './load.js';
export { applyReload, RESTART_KEYS, type ConfigChanges } from './reload.js';
