import { targetFor, type Config } from '../config/index.js';
import type { Connector } from '../engine/connector.js';
import type { Store } from '../store/index.js';
import { DirectoryConnector } from './directory.js';
import { ScriptConnector } from './script.js';

export { DirectoryConnector } from './directory.js';
export { ScriptConnector, EXIT_TEMPFAIL, type ScriptTarget } from './script.js';

/** The connector of each hostid, from the config's `targets` (made once per hostid). */
export function connectorsFor(config: Config, store: Store): (hostid: string) => Connector {
  const directory = new DirectoryConnector(store);
  const made = new Map<string, Connector>();
  return (hostid) => {
    let c = made.get(hostid);
    if (!c) {
      const t = targetFor(config, hostid);
      c = t.connector === 'script' ? new ScriptConnector({ script: t.script!, args: t.args, timeoutMs: t.timeoutMs }) : directory;
      made.set(hostid, c);
    }
    return c;
  };
}
