import type { Command } from 'commander';
import { wakeDaemon } from '../../command-wake.js';
import { TmonError } from '../../errors.js';
import { homeLayout, resolveHomeDir } from '../../home.js';
import { applyCommand, SqliteStore, type AnyStore, type CommandOutcome, type OperatorCommand } from '../../store/index.js';
import { cliConfig, lenientConfig, writeStore } from '../cli-config.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json, printable } from '../format.js';
import { writeOut } from '../output.js';

/** How long the CLI waits for the running daemon to apply a command it queued. */
const APPLY_WAIT_MS = 10_000;
/** A heartbeat older than this means no daemon is working on the store. */
const STALE_MS = 5000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Operators' writes go through the running daemon, so that their replies, outbox files and
 * triggers follow at once (contract §7): the command is queued in the store and the daemon
 * applies it. With no daemon running it is applied here, with the config's trigger and reply
 * settings; its reply files are written at the daemon's next start.
 */
export async function operate(
  opts: GlobalOptions & { config?: string },
  build: (store: AnyStore) => Promise<OperatorCommand>,
  // How a command other than retry/cancel is applied when no daemon runs (purge, reload).
  direct?: (store: AnyStore, command: OperatorCommand) => Promise<CommandOutcome>,
): Promise<CommandOutcome> {
  // Purge and reload use no reply or trigger settings here (reload is for the daemon to judge
  // the file), but the file says where the store is: a file that does not load leaves the home's.
  const config = direct ? lenientConfig(opts) : cliConfig(opts);
  // A home where the daemon never ran is an error, not a new database.
  const store = await writeStore(opts, config, !direct);
  try {
    const command = await build(store);
    const daemon = await store.presence();
    // A daemon on PostgreSQL may run on another machine: its fresh heartbeat is the sign of life.
    if (daemon && Date.now() - daemon.heartbeatAt < STALE_MS && (!(store instanceof SqliteStore) || alive(daemon.pid))) {
      const id = await store.queueCommand(command);
      // The daemon applies it at once when rung, else at its next poll (250 ms).
      wakeDaemon(homeLayout(resolveHomeDir(opts.home)).wake);
      const deadline = Date.now() + APPLY_WAIT_MS;
      // Rung, the daemon answers within milliseconds: look soon, then back off to every 50 ms.
      for (let pause = 5; Date.now() < deadline; pause = Math.min(pause * 2, 50)) {
        const c = await store.command(id);
        if (c?.outcome) return c.outcome;
        await new Promise((r) => setTimeout(r, pause));
      }
      throw new TmonError('CLI_NOT_APPLIED', `the daemon (pid ${daemon.pid}) has not applied the ${command.kind} within ${APPLY_WAIT_MS / 1000} s; it stays queued`);
    }
    if (direct) return await direct(store, command);
    if (command.kind === 'purge' || command.kind === 'reload') throw new TmonError('CLI_REFUSED', `no daemon runs on this home to apply the ${command.kind}`);
    const r = await applyCommand(store, command);
    return r.ok ? { ok: true, actions: r.actions } : r;
  } finally {
    await store.close();
  }
}

/** A batch (or one of its actions) the command names must be held: "not found" is exit 66, not a refusal. */
async function mustHold(store: AnyStore, batch: string, action?: string): Promise<void> {
  const detail = await store.batchDetail(batch);
  if (!detail) throw new TmonError('CLI_NO_INPUT', `no batch ${batch}`);
  if (action !== undefined && !detail.actions.some((a) => a.id === action)) throw new TmonError('CLI_NO_INPUT', `no action ${action} in batch ${batch}`);
}

function report(result: CommandOutcome, asJson: boolean | undefined, what: string): Promise<void> {
  if (!result.ok) throw new TmonError('CLI_REFUSED', result.reason);
  return writeOut(asJson ? json({ [what]: result.actions }) : `${what}: ${result.actions.length ? result.actions.join(', ') : 'nothing'}\n`);
}

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('queue a failed action again, with the actions that were skipped because of it; it goes through its plugin again')
    .argument('<action>', 'the action id, or BATCH/ACTION when several batches have an action of that id')
    .option('--note <text>', 'why, for the message board')
    .option('--config <file>', 'the config file, when no daemon runs (default: tmon.config.json in the home folder)')
    .option('--json', 'print {"requeued": [...]}')
    .addHelpText('after', "\nThe replyid of the action was already answered with the failure and is not answered again;\nthe retry's outcome shows in tmon status and tmon messages.")
    .action(async (ref: string, opts: { note?: string; json?: boolean }, cmd: Command) => {
      const outcome = await operate(cmd.optsWithGlobals<GlobalOptions & { config?: string }>(), async (store) => {
        const holders = await store.findAction(ref);
        if (holders.length === 1) return { kind: 'retry', batch: holders[0]!, action: ref, note: opts.note ?? '' };
        if (holders.length > 1) throw new TmonError('CLI_USAGE', `action ${ref} is in ${holders.length} batches (${holders.join(', ')}); say BATCH/${ref}`);
        const slash = ref.indexOf('/');
        if (slash < 0) throw new TmonError('CLI_NO_INPUT', `no action ${ref}`);
        return { kind: 'retry', batch: ref.slice(0, slash), action: ref.slice(slash + 1), note: opts.note ?? '' };
      });
      await report(outcome, opts.json, 'requeued');
    });
}

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel every action of a batch that has not started (running ones finish); or, with ACTION, that one action')
    .argument('<batch>', 'the batch id')
    .argument('[action]', 'one action of the batch: it is canceled, and what waits on it skipped')
    .option('--note <text>', 'why, for the message board')
    .option('--config <file>', 'the config file, when no daemon runs (default: tmon.config.json in the home folder)')
    .option('--json', 'print {"canceled": [...]} (with ACTION: and "skipped": [...])')
    .action(async (batch: string, action: string | undefined, opts: { note?: string; json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions & { config?: string }>();
      if (action !== undefined) return cancelOne(global, batch, action, opts);
      const outcome = await operate(global, async (store) => (await mustHold(store, batch), { kind: 'cancel', batch, note: opts.note ?? '' }));
      await report(outcome, opts.json, 'canceled');
    });
}

/** `tmon cancel BATCH ACTION`: the first action named is the one canceled, the rest were skipped. */
async function cancelOne(global: GlobalOptions & { config?: string }, batch: string, action: string, opts: { note?: string; json?: boolean }): Promise<void> {
  const outcome = await operate(global, async (store) => (await mustHold(store, batch, action), { kind: 'cancel-action', batch, action, note: opts.note ?? '' }));
  if (!outcome.ok) throw new TmonError('CLI_REFUSED', outcome.reason);
  const [canceled, ...skipped] = outcome.actions;
  if (opts.json) return writeOut(json({ canceled: canceled ? [canceled] : [], skipped }));
  return writeOut(`canceled: ${canceled ?? 'nothing'}\nskipped: ${skipped.length ? skipped.join(', ') : 'nothing'}\n`);
}

/** `tmon pause HOST` / `tmon resume HOST`: through the running daemon, as the other operator commands. */
export const registerPause = (program: Command): void => registerHostCommand(program, 'pause');
export const registerResume = (program: Command): void => registerHostCommand(program, 'resume');

function registerHostCommand(program: Command, kind: 'pause' | 'resume'): void {
  program
    .command(kind)
    .description(kind === 'pause' ? 'pause a target: it starts nothing new (what runs finishes); kept across restarts' : 'resume a paused target: its queued work starts at once')
    .argument(kind === 'pause' ? '[host]' : '<host>', kind === 'pause' ? 'the target hostid; without it, list the paused targets' : 'the target hostid')
    .option('--note <text>', 'why, for the message board')
    .option('--config <file>', 'the config file, when no daemon runs (default: tmon.config.json in the home folder)')
    .option('--json', `print {"${kind}d": [HOST]}${kind === 'pause' ? ' (the list: an array of {hostid, pausedAt, note})' : ''}`)
    .action(async (host: string | undefined, opts: { note?: string; json?: boolean }, cmd: Command) => {
      if (host === undefined) return listPaused(cmd.optsWithGlobals<GlobalOptions>(), opts.json);
      const outcome = await operate(cmd.optsWithGlobals<GlobalOptions & { config?: string }>(), async () => ({ kind, host, note: opts.note ?? '' }));
      await report(outcome, opts.json, `${kind}d`);
    });
}

/** `tmon pause` alone: the paused targets, read-only. */
async function listPaused(global: GlobalOptions, asJson: boolean | undefined): Promise<void> {
  await withReadStore(global, async (store) => {
    const paused = store ? await store.pausedHosts() : [];
    if (asJson) return writeOut(json(paused.map((p) => ({ ...p, pausedAt: new Date(p.pausedAt).toISOString() }))));
    if (paused.length === 0) return writeOut('no paused targets\n');
    return writeOut(paused.map((p) => printable(`${p.hostid} paused since ${formatTime(p.pausedAt)}${p.note ? `: ${p.note}` : ''}`)).join('\n') + '\n');
  });
}
