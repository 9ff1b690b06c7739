import type { Command } from 'commander';
import { basename, extname, resolve } from 'node:path';
import { TRIGGER_TIMEOUT_MS } from '../../config/defaults.js';
import type { PayloadFormat, TriggerConfig } from '../../config/index.js';
import { TmonError } from '../../errors.js';
import { EVENT_TYPES } from '../../events.js';
import type { EventType, TriggerPayload } from '../../store/index.js';
import { cliConfig } from '../cli-config.js';
import { withReadStore, type GlobalOptions } from '../context.js';
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
          ? table(['NAME', 'EVENT', 'FORMAT', 'SCRIPT'], config.triggers.map((t) => [t.name, t.events.join(', '), t.format, [t.script, ...t.args].join(' ')]))
          : 'no triggers configured\n';
        const body = runs.length
          ? table(['RUN', 'TRIGGER', 'EVENT', 'STATE', 'TRIES', 'CREATED', 'LAST ERROR'], runs.map((r) => [String(r.id), r.trigger, r.event, r.state, String(r.attempts), formatTime(r.createdAt), r.lastError ?? '']))
          : 'no runs\n';
        return writeOut(`${head}\n${body}`);
        // With --config a trigger list can be checked before any home exists.
      }, { optional: globals.config !== undefined });
    });

  triggers
    .command('test')
    .description('run a trigger once, a configured one by name or a script not configured yet (--script), and show what it did (nothing is recorded)')
    .argument('[name]', 'the trigger name (or use --script)')
    .option('--script <path>', 'a script to try before it goes into the config')
    .option('--event <type>', `the event (default: the trigger's first): ${EVENT_TYPES.join(', ')}`)
    .option('--batch <id>', "use a stored batch's data (its first action for an action event) instead of sample data")
    .option('--format <format>', 'with --script: kvgroup, json or xml (default json)')
    .option('--json', 'print {trigger, event, input, exitCode, stdout, stderr, ok}')
    .action(async (name: string | undefined, opts: { script?: string; event?: string; batch?: string; format?: string; json?: boolean }, cmd: Command) => {
      // `triggers` itself has --json and --config too; whichever got them, they are meant here.
      const all = cmd.optsWithGlobals<GlobalOptions & { config?: string; json?: boolean }>();
      opts.json ||= all.json;
      if (opts.event && !EVENT_TYPES.includes(opts.event as EventType)) throw new TmonError('CLI_USAGE', `--event must be one of ${EVENT_TYPES.join(', ')}`);
      if (opts.format && !['kvgroup', 'json', 'xml'].includes(opts.format)) throw new TmonError('CLI_USAGE', '--format must be one of kvgroup, json, xml');
      if (!name === !opts.script) throw new TmonError('CLI_USAGE', 'name a configured trigger, or give --script PATH');
      let trigger: TriggerConfig;
      if (opts.script) {
        const script = resolve(opts.script);
        const events = [(opts.event as EventType | undefined) ?? 'action.succeeded'];
        trigger = { name: basename(script, extname(script)), events, script, args: [], format: (opts.format as PayloadFormat | undefined) ?? 'json', filter: {}, timeoutMs: TRIGGER_TIMEOUT_MS };
      } else {
        const config = cliConfig(all);
        const found = config.triggers.find((t) => t.name === name);
        if (!found) throw new TmonError('CLI_NO_INPUT', `no trigger named ${name}${config.triggers.length ? ` (there are: ${config.triggers.map((t) => t.name).join(', ')})` : ''}`);
        trigger = opts.format ? { ...found, format: opts.format as PayloadFormat } : found;
      }
      const type = (opts.event as EventType | undefined) ?? trigger.events[0]!;
      // The trigger runner loads only when a trigger is tried, not for `tmon --help` or the list.
      const { runTriggerScript, sampleEvent, renderPayload } = await import('../../triggers/index.js');
      const event = opts.batch ? await storedEvent(all, opts.batch, type) : sampleEvent(type);
      const out = await runTriggerScript(trigger, event, 1);
      const input = renderPayload(event, trigger.format);
      if (opts.json) await writeOut(json({ trigger: trigger.name, event: event.type, input, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr, ok: out.ok }));
      else {
        await writeOut(
          `trigger ${trigger.name}: ${out.ok ? 'ok' : `failed: ${out.error}`}\nexit code: ${out.exitCode ?? '-'}\n--- input (${trigger.format}) ---\n${input}--- stdout ---\n${out.stdout}${out.stdout.endsWith('\n') || !out.stdout ? '' : '\n'}--- stderr ---\n${out.stderr}${out.stderr.endsWith('\n') || !out.stderr ? '' : '\n'}`,
        );
      }
      if (!out.ok) {
        throw new QuietExit(new TmonError('CLI_TRIGGER_FAILED', `trigger ${trigger.name} failed`));
      }
    });
}

/** The event as the daemon would raise it for a stored batch (its first action for an action event). */
async function storedEvent(opts: GlobalOptions, batchId: string, type: EventType): Promise<TriggerPayload> {
  return withReadStore(opts, async (store) => {
    const detail = store ? await store.batchDetail(batchId) : undefined;
    if (!store || !detail) throw new TmonError('CLI_NO_INPUT', `no batch ${batchId}`);
    const a = detail.actions[0];
    const about = type.startsWith('action.') || type === 'plugin.failed';
    const base = { type, batch: batchId, state: about && a ? a.state : detail.state, at: Date.now() };
    return store.triggerPayload(about && a ? { ...base, action: a.id, operation: a.operation, hostid: a.hostid, ...(a.lastError ? { message: a.lastError } : {}) } : base);
  });
}
