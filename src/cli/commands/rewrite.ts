import type { Command } from 'commander';
import { resolve } from 'node:path';
import { BatchInvalidError, validateDocument } from '../../batch/index.js';
import { isGroup, parseKvg, printKvg, type KvGroup } from '../../kvgroup/index.js';
import { redact } from '../../log.js';
import { actionsToRun, failsPrimary, PluginHost } from '../../plugins/index.js';
import { cliConfig, stderrLogger, type GlobalOptions } from '../context.js';
import { readInput } from '../input.js';
import { writeOut } from '../output.js';

interface RewriteOptions {
  plugin: string[];
  plugins?: string;
  config?: string;
}

export function registerRewrite(program: Command): void {
  program
    .command('rewrite')
    .description('dry-run the rewrite plugin(s) on every action of a batch file and print the resulting batch; executes nothing')
    .argument('<file>', 'the batch file (KVGroup), or - for standard input')
    .requiredOption('--plugin <name>', 'the plugin to run; repeat (or separate with commas) for a chain', (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)])
    .option('--plugins <dir>', 'the plugins folder (default: pluginsDir from the config, ./plugins)')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .addHelpText(
      'after',
      '\nThe resulting batch goes to stdout in canonical form, and one line per action to stderr saying\nwhat the plugin did. Exit codes: 0 every action would run; 65 the batch is invalid, or some\naction would fail (a rule broken, or a plugin failure with onPluginError "fail"); 66 no such file.',
    )
    .action(async (file: string, opts: RewriteOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & RewriteOptions>();
      const base = cliConfig(globals);
      const config = { ...base, rewritePlugin: opts.plugin, ...(opts.plugins ? { pluginsDir: resolve(opts.plugins) } : {}) };
      const { text, source } = await readInput(file);
      const { batch, problems } = validateDocument(parseKvg(text, { source }));
      if (!batch || problems.length > 0) throw new BatchInvalidError(problems, source);

      const host = new PluginHost(config, stderrLogger(globals.verbose));
      let failed = 0;
      const results: KvGroup[] = [];
      try {
        // The whole batch at once, as the daemon does (one worker task for its JS plugins).
        const outcomes = await host.rewriteBatch(batch);
        batch.actions.forEach((action, i) => {
          const outcome = outcomes[i]!;
          process.stderr.write(`${outcome.message}\n`);
          if (failsPrimary(outcome)) failed++;
          results.push(...actionsToRun(outcome, action.group));
        });
      } finally {
        await host.close();
      }
      const actionsOut = batch.batchGroup.members.filter((m) => !(isGroup(m) && m.type === 'action')).concat(results);
      const root: KvGroup = { ...batch.root, members: batch.root.members.map((m) => (m === batch.batchGroup ? { ...batch.batchGroup, members: actionsOut } : m)) };
      await writeOut(printKvg(redact(root) as KvGroup));
      if (failed > 0) {
        const err = new BatchInvalidError([], source);
        (err as { quiet?: boolean }).quiet = true;
        throw err;
      }
    });
}
