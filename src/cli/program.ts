import { Command } from 'commander';

export const VERSION = '0.1.0';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when that command runs (or for --help), so that
 * `tmon status` does not pay for the KVGroup parser, the plugin pool or the daemon.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  parse: async () => (await import('./commands/parse.js')).registerParse,
  validate: async () => (await import('./commands/validate.js')).registerValidate,
  rewrite: async () => (await import('./commands/rewrite.js')).registerRewrite,
  plugins: async () => (await import('./commands/plugins.js')).registerPlugins,
  daemon: async () => (await import('./commands/daemon.js')).registerDaemon,
  submit: async () => (await import('./commands/submit.js')).registerSubmit,
  status: async () => (await import('./commands/status.js')).registerStatus,
  show: async () => (await import('./commands/show.js')).registerShow,
  replies: async () => (await import('./commands/replies.js')).registerReplies,
  messages: async () => (await import('./commands/messages.js')).registerMessages,
  retry: async () => (await import('./commands/operate.js')).registerRetry,
  cancel: async () => (await import('./commands/operate.js')).registerCancel,
  directory: async () => (await import('./commands/directory.js')).registerDirectory,
  triggers: async () => (await import('./commands/triggers.js')).registerTriggers,
  targets: async () => (await import('./commands/targets.js')).registerTargets,
  config: async () => (await import('./commands/config.js')).registerConfig,
  backup: async () => (await import('./commands/backup.js')).registerBackup,
  migrate: async () => (await import('./commands/migrate.js')).registerMigrate,
  completion: async () => (await import('./commands/completion.js')).registerCompletion,
  purge: async () => (await import('./commands/purge.js')).registerPurge,
  reload: async () => (await import('./commands/reload.js')).registerReload,
  find: async () => (await import('./commands/find.js')).registerFind,
  stuck: async () => (await import('./commands/stuck.js')).registerStuck,
  pause: async () => (await import('./commands/operate.js')).registerPause,
  resume: async () => (await import('./commands/operate.js')).registerResume,
};

/** The command named on the command line, skipping the global options before it. */
function commandIn(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--home') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The `tmon` command line, with the command about to run (or every command, for help). */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command();
  program
    .name('tmon')
    .description('tmon: a transaction monitor for identity provisioning. It takes batches of actions in KVGroup format, rewrites them through plugins, runs them against target systems in dependency order and reports each outcome exactly once.')
    .version(VERSION)
    .option('--home <dir>', 'home folder (database, inbox, outbox, logs); default $TMON_HOME or ./var')
    .option('--verbose', 'print stack traces with errors')
    // Usage errors in the one-line form of every other error (`tmon: …`), with where to look.
    .configureOutput({ outputError: (str, write) => write(`tmon: ${str.trim().replace(/^error: /, '')} (tmon --help for usage)\n`) })
    // Set before the commands are added, so that they inherit it: usage errors then reach
    // runCli as exceptions and exit 2, as §7 says, instead of commander's own exit 1.
    .exitOverride();
  const named = commandIn(argv);
  // With --help the program's help, which describes every command, may be what is printed.
  const help = argv.includes('--help') || argv.includes('-h');
  // --version needs no command at all.
  if (named === undefined && !help && (argv.includes('--version') || argv.includes('-V'))) return program;
  // An unknown command is refused with the names alone (commander suggests the nearest one):
  // loading every command's module for that cost 0.4 s of CPU.
  if (named !== undefined && named !== 'help' && !help && !Object.hasOwn(COMMANDS, named)) {
    for (const name of Object.keys(COMMANDS)) program.command(name);
    return program;
  }
  // Completion describes every command, so it loads them all, as help does.
  const wanted = named && named !== 'completion' && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const name of wanted) (await COMMANDS[name]!())(program);
  return program;
}
