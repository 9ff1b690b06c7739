import { join } from 'node:path';
import { normaliseConfig, type Config } from '../../src/config/index.js';
import type { KvGroup } from '../../src/kvgroup/index.js';
import { PluginHost, type PluginFailure, type PluginRun } from '../../src/plugins/index.js';
import { ROOT } from '../helpers/cli.js';
import { recordingLogger } from '../helpers/logger.js';

export const FIXTURE_PLUGINS = join(ROOT, 'test', 'fixtures', 'plugins');

export const fixtureConfig = (extra: Record<string, unknown> = {}): Config =>
  normaliseConfig({ pluginsDir: FIXTURE_PLUGINS, pluginMemoryMb: 32, pluginThreads: 1, ...extra }, ROOT);

/** A one-action batch document whose action carries `newpw`. */
export const withPassword = (batch: string, newpw: string): KvGroup => ({
  type: '',
  name: '',
  members: [{ type: 'batch', name: batch, members: [{ type: 'action', name: `${batch}_0`, members: [{ key: 'replyid', value: 'r1' }, { type: 'attributes', name: '', members: [{ key: 'newpw', value: newpw }] }] }] }],
});

/**
 * One host on the fixture plugins for a whole describe block: `run` calls a plugin with the
 * options given (the host reads pluginOptions at each call), `stillServes` proves the host
 * survived what came before.
 */
export function fixtureHost(extra: Record<string, unknown> = {}) {
  const options: Record<string, unknown> = {};
  const logger = recordingLogger();
  const config = fixtureConfig(extra);
  config.pluginOptions = options;
  const host = new PluginHost(config, logger);
  const run = (plugin: string, input: KvGroup = withPassword('B', ''), pluginOptions: Record<string, unknown> = {}): Promise<PluginRun> => {
    options[plugin] = pluginOptions;
    return host.runPlugin(plugin, input, { batchId: 'B', actionId: 'B_0' });
  };
  const failure = (r: PluginRun): PluginFailure => {
    if (r.ok) throw new Error('the plugin was not stopped');
    return r.error;
  };
  const stillServes = async (): Promise<void> => {
    expect((await run('identity')).ok).toBe(true);
  };
  return { host, logger, options, run, failure, stillServes };
}
