import { statSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { TmonError } from '../errors.js';

/** The daemon must not start: a rewrite plugin is configured but its folder is not there. */
export class PluginsFolderError extends TmonError {
  constructor(message: string) {
    super('PLUGINS_DIR_MISSING', message);
  }
}

/**
 * Called by the daemon at start. With `rewritePlugin` set and no plugins folder, every action
 * would otherwise run un-rewritten (a DELU deleting instead of the site's disable), so tmon
 * refuses to start instead (issue 13 item 13). Without `rewritePlugin` the folder is optional.
 */
export function checkPluginsFolder(config: Pick<Config, 'pluginsDir' | 'rewritePlugin'>): void {
  if (config.rewritePlugin.length === 0) return;
  const names = config.rewritePlugin.join(', ');
  let isDir: boolean;
  try {
    isDir = statSync(config.pluginsDir).isDirectory();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new PluginsFolderError(`pluginsDir: ${config.pluginsDir} ${why}, and rewritePlugin names ${names}: create the folder or unset rewritePlugin`);
  }
  if (!isDir) throw new PluginsFolderError(`pluginsDir: ${config.pluginsDir} is not a folder, and rewritePlugin names ${names}`);
}
