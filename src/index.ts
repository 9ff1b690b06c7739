/**
 * tmon's public API: the KVGroup document model and its helpers, for plugin authors and for
 * programs that talk to tmon. A plugin needs nothing from here to work; it only helps.
 */
export * from './kvgroup/index.js';
export { TmonError, hasCode } from './errors.js';
export type { RewritePlugin, RewriteContext, RewriteResult, PluginLog } from './plugins/types.js';
