import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import { EVENT_TYPES, type EventType } from '../../store/index.js';
import { runTriggerScript, sampleEvent, renderPayload } from '../../triggers/index.js';
import { cliConfig, withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json } from '../format.js';
import { QuietExit } from '../exit-codes.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

export function registerTriggers(program: Command): void {
  const triggers = program
    .command('triggers')
    .description('the configured trigger scripts and their recent runs')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .option('--limit <n>', 'recent runs to show', '20')
    .option('--json', 'print {triggers: [...], runs: [...]}')
    .action(async (opts: { config?: string; limit: string; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & { config?: string }>();
      const config = cliConfig(globals);
      await withReadStore(globals, async (store) => {
        const runs = store ? await store.triggerRuns(Number(opts.limit)) : [];
        if (opts.json) return writeOut(json({ triggers: config.triggers, runs }));
        const head = config.triggers.length
          ? table(['NAME', 'EVENT', 'FORMAT', 'SCRIPT'], config.triggers.map((t) => [t.name, t.event, t.format, [t.script, ...t.args].join(' ')]))
          : 'no triggers configured\n';
        const body = runs.length
          ? table(['RUN', 'TRIGGER', 'EVENT', 'STATE', 'TRIES', 'CREATED', 'LAST ERROR'], runs.map((r) => [String(r.id), r.trigger, r.event, r.state, String(r.attempts), formatTime(r.createdAt), r.lastError ?? '']))
          : 'no runs\n';
        return writeOut(`${head}\n${body}`);
      });
    });

  triggers
    .command('test')
    .description('run one trigger once with sample data and show what it did (nothing is recorded)')
    .argument('<name>', 'the trigger name')
    .option('--event <type>', `the sample event (default: the trigger's own): ${EVENT_TYPES.join(', ')}`)
    .option('--json', 'print {trigger, event, input, exitCode, stdout, stderr, ok}')
    .action(async (name: string, opts: { event?: string; json?: boolean }, cmd: Command) => {
      // `triggers` itself has --json and --config too; whichever got them, they are meant here.
      const all = cmd.optsWithGlobals<GlobalOptions & { config?: string; json?: boolean }>();
      opts.json ||= all.json;
      const config = cliConfig(all);
      const trigger = config.triggers.find((t) => t.name === name);
      if (!trigger) throw new TmonError('CLI_NO_INPUT', `no trigger named ${name}${config.triggers.length ? ` (there are: ${config.triggers.map((t) => t.name).join(', ')})` : ''}`);
      if (opts.event && !EVENT_TYPES.includes(opts.event as EventType)) throw new TmonError('CLI_USAGE', `--event must be one of ${EVENT_TYPES.join(', ')}`);
      const event = sampleEvent((opts.event as EventType | undefined) ?? trigger.event);
      const out = await runTriggerScript(trigger, event, 1);
      const input = renderPayload(event, trigger.format);
      if (opts.json) await writeOut(json({ trigger: name, event: event.type, input, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr, ok: out.ok }));
      else {
        await writeOut(
          `trigger ${name}: ${out.ok ? 'ok' : `failed: ${out.error}`}\nexit code: ${out.exitCode ?? '-'}\n--- input (${trigger.format}) ---\n${input}--- stdout ---\n${out.stdout}${out.stdout.endsWith('\n') || !out.stdout ? '' : '\n'}--- stderr ---\n${out.stderr}${out.stderr.endsWith('\n') || !out.stderr ? '' : '\n'}`,
        );
      }
      if (!out.ok) {
        throw new QuietExit(new TmonError('CLI_TRIGGER_FAILED', `trigger ${name} failed`));
      }
    });
}
