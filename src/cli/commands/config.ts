import type { Command } from 'commander';
import { homeLayout } from '../../home.js';
import { resolveHome, type GlobalOptions } from '../context.js';
import { QuietExit } from '../exit-codes.js';
import { json } from '../format.js';
import { writeOut } from '../output.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the config file');
  config
    .command('check')
    .description('check a config file: every problem at once (schema and cross-key rules), JSON errors with line:column')
    .argument('[file]', 'the config file (default: tmon.config.json in the home folder)')
    .option('--json', 'print {file, found, valid, errors}')
    .addHelpText('after', '\nThe daemon refuses to start with the same messages. Exit codes: 0 valid (or no file: the\ndefaults apply); 65 problems, one a line on stdout; 66 FILE given and not found.')
    .action(async (file: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const named = file ?? homeLayout(resolveHome(cmd.optsWithGlobals<GlobalOptions>())).config;
      // The config's validator and the plugin check load only here, not for `tmon --help`; the
      // plugin check from its own module: the plugins' index would load the host and its pool.
      const [{ checkConfigFile, ConfigError }, { pluginProblems }] = await Promise.all([import('../../config/index.js'), import('../../plugins/startup-check.js')]);
      const check = checkConfigFile(named, { required: file !== undefined });
      // A config that reads well may still name plugins that are not there (the daemon would
      // refuse to start, or hold their actions): said here with the rest.
      if (check.config) check.errors.push(...pluginProblems(check.config));
      if (opts.json) await writeOut(json({ file: check.path, found: check.found, valid: check.errors.length === 0, errors: check.errors }));
      else if (check.errors.length > 0) await writeOut(check.errors.map((e) => `${named}: ${e}\n`).join(''));
      else await writeOut(check.found ? `${named}: valid\n` : `${named}: no such file; the defaults apply\n`);
      if (check.errors.length > 0) throw new QuietExit(new ConfigError(check.errors, named));
    });
}
