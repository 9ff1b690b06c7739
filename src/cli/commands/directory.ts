import type { Command } from 'commander';
import { withReadStore, type GlobalOptions } from '../context.js';
import { json, printable } from '../format.js';
import { writeOut } from '../output.js';

export function registerDirectory(program: Command): void {
  program
    .command('directory')
    .description('the simulated directory of the built-in directory connector: accounts per target')
    .option('--host <hostid>', 'only this target')
    .option('--json', 'print {hostid: {userid: {accountid, fname, enabled, locked, passwordExpired, context, groups, attributes}}}')
    .action(async (opts: { host?: string; json?: boolean }, cmd: Command) => {
      await withReadStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const dump = store ? await store.directory(opts.host) : {};
        // The contract's shape (§5): the password-change count stays inside the store.
        const view = Object.fromEntries(
          Object.entries(dump).map(([host, accounts]) => [
            host,
            Object.fromEntries(
              Object.entries(accounts).map(([uid, a]) => [
                uid,
                { accountid: a.accountid, fname: a.fname, enabled: a.enabled, locked: a.locked, passwordExpired: a.passwordExpired, context: a.context, groups: [...a.groups].sort(), attributes: a.attributes },
              ]),
            ),
          ]),
        );
        if (opts.json) return writeOut(json(view));
        const lines: string[] = [];
        for (const [host, accounts] of Object.entries(view)) {
          lines.push(`${host}:`);
          for (const [uid, a] of Object.entries(accounts)) {
            const flags = [a.enabled ? 'enabled' : 'disabled', a.locked ? 'locked' : '', a.passwordExpired ? 'password expired' : ''].filter(Boolean).join(', ');
            lines.push(`  ${uid} (${a.accountid}${a.fname ? `, ${a.fname}` : ''}): ${flags}${a.context ? `; in ${a.context}` : ''}${a.groups.length ? `; groups ${a.groups.join(' | ')}` : ''}`);
          }
        }
        return writeOut(lines.length ? `${lines.map(printable).join('\n')}\n` : 'the directory is empty\n');
      });
    });
}
