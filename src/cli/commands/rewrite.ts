import type { Command } from 'commander';
import { resolve } from 'node:path';
import { TmonError } from '../../errors.js';
import type { KvGroup } from '../../kvgroup/index.js';
import type { Store } from '../../store/index.js';
import { cliConfig } from '../cli-config.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { readInput } from '../input.js';
import { QuietExit } from '../exit-codes.js';
import { writeOut } from '../output.js';

interface RewriteOptions {
  plugin?: string[];
  plugins?: string;
  config?: string;
}

export function registerRewrite(program: Command): void {
  program
    .command('rewrite')
    .description('dry-run the rewrite plugin(s) on every action of a batch file and print the resulting batch; executes nothing')
    .argument('<file>', 'the batch file (KVGroup), or - for standard input')
    .option('--plugin <name>', 'the plugin to run; repeat (or separate with commas) for a chain (default: rewritePlugin from the config)', (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)])
    .option('--plugins <dir>', 'the plugins folder (default: pluginsDir from the config, ./plugins)')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .addHelpText(
      'after',
      '\nThe resulting batch goes to stdout in canonical form, and one line per action to stderr saying\nwhat the plugin did. Exit codes: 0 every action would run; 65 the batch is invalid, or some\naction would fail (a rule broken, or a plugin failure with onPluginError "fail"); 66 no such\nfile or no such plugin.',
    )
    .action(async (file: string, opts: RewriteOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & RewriteOptions>();
      // The engine, the plugin host, the parser and the validator load here, not for `tmon --help`.
      const [{ BatchInvalidError, readBatch }, { dryRunRewrite, prepareBatch, Rewriter }, { isGroup, parseKvg, printKvg }, { redact, silentLogger }, { PluginHost }, { stderrLogger }] = await Promise.all([
        import('../../batch/index.js'),
        import('../../engine/index.js'),
        import('../../kvgroup/index.js'),
        import('../../log.js'),
        import('../../plugins/index.js'),
        import('../stderr-logger.js'),
      ]);
      const base = cliConfig(globals);
      // Without --plugin, the chain the daemon would use: the config's rewritePlugin.
      const chain = opts.plugin ?? base.rewritePlugin;
      if (chain.length === 0) throw new TmonError('CLI_USAGE', `no plugin to run: give --plugin NAME, or set rewritePlugin in ${globals.config ?? 'the home\'s tmon.config.json'}`);
      const config = { ...base, rewritePlugin: chain, ...(opts.plugins ? { pluginsDir: resolve(opts.plugins) } : {}) };
      const host = new PluginHost(config, stderrLogger(globals.verbose));
      const missing = chain.filter((name) => !host.registry.get(name));
      if (missing.length > 0) {
        await host.close();
        const there = host.registry.list().map((e) => e.name);
        const where = host.registry.folderError ?? (there.length ? `the plugins there: ${there.join(', ')}` : 'it holds no plugins');
        throw new TmonError('CLI_NO_INPUT', `no plugin named ${missing.join(', ')} in ${config.pluginsDir} (${where})`);
      }
      const { text, source } = await readInput(file);
      // Exactly the daemon's rewrite step: the batch validated against the home's store (if any),
      // every action through the chain at once, then the checks across the outputs.
      const { batch, decisions } = await withReadStore(globals, async (store) => {
        const known: Pick<Store, 'knownActions' | 'replyidHolders'> = {
          knownActions: async (refs) => (store ? store.knownActions(refs) : new Set<string>()),
          replyidHolders: async (id, replyids) => (store ? store.replyidHolders(id, replyids) : new Map<string, string>()),
        };
        await prepareBatch(text, source, known);
        const read = readBatch(parseKvg(text, { source })[0]!)!;
        try {
          return { batch: read, decisions: await dryRunRewrite(new Rewriter(known, host, config, silentLogger), text, source) };
        } finally {
          await host.close();
        }
      }, { optional: true });
      let failed = 0;
      const results: KvGroup[] = [];
      for (const d of decisions) {
        process.stderr.write(`${d.message}\n`);
        // A plugin that failed or whose output was ignored fails the dry run, even where the
        // daemon would run the action as submitted: the plugin's author is the one asking.
        if (d.outcome === 'fail' || d.outcome === 'hold' || d.board === 'error' || d.board === 'warn') failed++;
        if (d.outcome === 'replace') results.push(...d.actions.map((a) => a.document));
        if (d.outcome === 'run') results.push(batch.actions.find((a) => a.id === d.primaryId)!.group);
      }
      const actionsOut = batch.batchGroup.members.filter((m) => !(isGroup(m) && m.type === 'action')).concat(results);
      const root: KvGroup = { ...batch.root, members: batch.root.members.map((m) => (m === batch.batchGroup ? { ...batch.batchGroup, members: actionsOut } : m)) };
      await writeOut(printKvg(redact(root) as KvGroup));
      if (failed > 0) {
        throw new QuietExit(new BatchInvalidError([], source));
      }
    });
}
