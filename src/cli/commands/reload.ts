import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import type { GlobalOptions } from '../context.js';
import { json } from '../format.js';
import { writeOut } from '../output.js';
import { operate } from './operate.js';

export function registerReload(program: Command): void {
  program
    .command('reload')
    .description("make the running daemon re-read its config file (as SIGHUP does); an invalid file is refused and the running config stays")
    .option('--json', 'print {"applied": [...], "needRestart": [...]}')
    .addHelpText('after', '\nTargets, retry, triggers, plugin chain and options, retention and logLevel change at once;\nkeys such as http, pluginsDir, logs or storeSync are reported as needing a restart.')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const outcome = await operate(
        cmd.optsWithGlobals<GlobalOptions>(),
        async () => ({ kind: 'reload', batch: '' }),
        async () => {
          throw new TmonError('CLI_REFUSED', 'no daemon runs on this home: the config is read when one starts');
        },
      );
      // The daemon's refusal carries the config's own errors: exit 65, as a bad config at start.
      if (!outcome.ok) throw new TmonError('CONFIG_INVALID', outcome.reason);
      const r = outcome.reload ?? { applied: outcome.actions, needRestart: [] };
      if (opts.json) return writeOut(json(r));
      const restart = r.needRestart.length ? `; needs a restart to change: ${r.needRestart.join(', ')}` : '';
      return writeOut(`reloaded: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'nothing changed'}${restart}\n`);
    });
}
