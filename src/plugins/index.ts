export * from './types.js';
export * from './outcome.js';
export type { PluginErrorCode, PluginFailure } from './messages.js';
export { PluginRegistry, type PluginEntry, type PluginKind } from './registry.js';
export { PluginHost, type PluginHostOptions, type PluginHostStats, type PluginRun } from './host.js';
export { checkPluginsFolder, pluginProblems, PluginsFolderError } from './startup-check.js';
export { listPlugins, type PluginListing } from './listing.js';
