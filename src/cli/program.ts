import { Command } from 'commander';
import { registerParse } from './commands/parse.js';
import { registerValidate } from './commands/validate.js';
import { registerRewrite } from './commands/rewrite.js';
import { registerPlugins } from './commands/plugins.js';
import { registerDaemon } from './commands/daemon.js';
import { registerSubmit } from './commands/submit.js';
import { registerStatus } from './commands/status.js';
import { registerReplies } from './commands/replies.js';
import { registerDirectory } from './commands/directory.js';
import { registerMessages } from './commands/messages.js';

export const VERSION = '0.1.0';

/** The `tmon` command line: one register function per command. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tmon')
    .description('tmon: a transaction monitor for identity provisioning. It takes batches of actions in KVGroup format, rewrites them through plugins, runs them against target systems in dependency order and reports each outcome exactly once.')
    .version(VERSION)
    .option('--home <dir>', 'home folder (database, inbox, outbox, logs); default $TMON_HOME or ./var')
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    // Set before the commands are added, so that they inherit it: usage errors then reach
    // runCli as exceptions and exit 2, as §7 says, instead of commander's own exit 1.
    .exitOverride();
  registerParse(program);
  registerValidate(program);
  registerRewrite(program);
  registerPlugins(program);
  registerDaemon(program);
  registerSubmit(program);
  registerStatus(program);
  registerReplies(program);
  registerDirectory(program);
  registerMessages(program);
  return program;
}
