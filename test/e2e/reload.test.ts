import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfigFile } from '../../src/config/index.js';
import { batchText } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { daemonTestFolders, dropIntoInbox, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { batchState, readStore } from '../helpers/store-read.js';

interface Board {
  level: string;
  source: string;
  text: string;
}

describe('config reload: SIGHUP and tmon reload (issue 15 item 4)', () => {
  const folders = daemonTestFolders();
  let daemon: DaemonProcess;
  let home: string;
  /** Which target script ran, one line per action. */
  let ran: () => string[];
  /** The trigger's payloads, one per run. */
  let events: () => Array<{ event: string; batch: string }>;
  let config: (script: 'one' | 'two', triggerEvent: string, extra?: object, triggerName?: string) => void;

  beforeEach(() => {
    const dir = folders.dir();
    home = join(dir, 'home');
    mkdirSync(home);
    const ranLog = join(dir, 'ran.log');
    const eventLog = join(dir, 'events.jsonl');
    for (const name of ['one', 'two']) {
      writeFileSync(join(dir, `${name}.sh`), `#!/bin/sh\necho ${name} >> "${ranLog}"\nexit 0\n`);
      chmodSync(join(dir, `${name}.sh`), 0o755);
    }
    writeFileSync(join(dir, 'record.sh'), '#!/bin/sh\ncat >> "$1"\necho >> "$1"\n');
    chmodSync(join(dir, 'record.sh'), 0o755);
    const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
    ran = () => lines(ranLog);
    events = () => lines(eventLog).map((l) => JSON.parse(l) as { event: string; batch: string });
    config = (script, triggerEvent, extra = {}, triggerName = 'audit') =>
      writeFileSync(
        join(home, 'tmon.config.json'),
        JSON.stringify({
          inboxSweepMs: 100,
          // One trigger run at a time, in order: once a later event is recorded, earlier ones are too.
          triggerConcurrency: 1,
          targets: { X: { connector: 'script', script: join(dir, `${script}.sh`) } },
          triggers: [{ name: triggerName, event: triggerEvent, script: join(dir, 'record.sh'), args: [eventLog], format: 'json' }],
          ...extra,
        }),
      );
  });
  const start = () => (daemon = folders.track(spawnDaemon(['--home', home]))).started();

  const board = (): Board[] => JSON.parse(tmon(['--home', home, 'messages', '--json']).stdout) as Board[];
  /** The board as `tmon messages` shows it, read from the store: what the waits poll, instead of a CLI process each time. */
  const unread = (): Promise<Board[]> => readStore(home, (s) => s.boardMessages());
  const run = async (id: string) => {
    dropIntoInbox(join(home, 'inbox'), `${id}.kvg`, batchText(id, [{ id: `${id}_0`, host: 'X', replyid: `r-${id}` }]));
    await waitFor(id, async () => (await batchState(home, id)) === 'succeeded');
  };

  test('SIGHUP: a changed target script and trigger event list apply to the next batches, without a restart', async () => {
    config('one', 'action.succeeded');
    await start();
    await run('B1');
    await waitFor('the trigger for B1', () => events().some((e) => e.batch === 'B1'));
    expect(ran()).toEqual(['one']);

    config('two', 'batch.completed');
    daemon.child.kill('SIGHUP');
    await waitFor('the reload on the board', async () => (await unread()).find((m) => m.source === 'config'));
    expect(board().filter((m) => m.source === 'config')).toEqual([expect.objectContaining({ level: 'info', text: expect.stringContaining('applied targets, triggers') })]);
    await run('B2');
    await waitFor('the trigger for B2', () => events().some((e) => e.batch === 'B2'));
    expect(ran()).toEqual(['one', 'two']);
    expect(events().map((e) => [e.event, e.batch])).toEqual([
      ['action.succeeded', 'B1'],
      ['batch.completed', 'B2'],
    ]);
    expect(daemon.child.exitCode).toBeNull();
  });

  test('tmon reload applies a valid file and names what needs a restart; an invalid one is refused with the start-up messages, the old config stays and the daemon runs on', async () => {
    config('one', 'action.succeeded');
    await start();
    expect(tmon(['--home', home, 'reload']).stdout).toBe('reloaded: nothing changed\n');

    // Invalid: the same errors a start would give, on stderr, the board and the log; exit 65.
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 'fast', targets: { X: { connector: 'script' } } }));
    const expected = checkConfigFile(join(home, 'tmon.config.json')).errors;
    expect(expected.length).toBeGreaterThan(0);
    const refused = tmon(['--home', home, 'reload']);
    expect(refused.status).toBe(65);
    for (const e of expected) expect(refused.stderr).toContain(e);
    daemon.child.kill('SIGHUP');
    await waitFor('two refusals on the board', async () => (await unread()).filter((m) => m.source === 'config' && m.level === 'error').length === 2);
    for (const m of board().filter((x) => x.source === 'config' && x.level === 'error')) expect(m.text).toContain(`the running config stays: config ${join(home, 'tmon.config.json')}: ${expected.join('; ')}`);
    await waitFor('the refusal in the log', () => daemon!.output().includes('config reload refused'));
    // The daemon runs on, on the old config.
    await run('B1');
    expect(ran()).toEqual(['one']);

    await waitFor('the trigger for B1', () => events().some((e) => e.batch === 'B1'));
    // A trigger of a new name: the runner knows its script from the reload on.
    config('two', 'batch.completed', { inboxSweepMs: 200, logLevel: 'debug' }, 'audit2');
    const ok = tmon(['--home', home, 'reload', '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ applied: ['logLevel', 'targets', 'triggers'], needRestart: ['inboxSweepMs'] });
    await run('B2');
    expect(ran()).toEqual(['one', 'two']);
    await waitFor('the new trigger for B2', () => events().some((e) => e.batch === 'B2'));
    expect(events().map((e) => [e.event, e.batch])).toEqual([
      ['action.succeeded', 'B1'],
      ['batch.completed', 'B2'],
    ]);
    expect(board().filter((m) => m.source === 'config').at(-1)).toMatchObject({ level: 'warn', text: expect.stringContaining('needs a restart to change: inboxSweepMs') });
    expect(daemon.child.exitCode).toBeNull();
  });

  test('a reload starts a plugin chain with its options, and the lock records the plugins now in use', async () => {
    const plugins = join(folders.dir(), 'plugins');
    mkdirSync(plugins);
    // The plugin says which option it was given, and lets the action run as submitted.
    writeFileSync(
      join(plugins, 'tagger.mjs'),
      `export default { rewrite(input, context) { context.log.info('tag=' + context.options.tag); return { ...input, members: [{ key: 'changed', value: 'false' }, { key: 'retval', value: '0' }, ...input.members] }; } };\n`,
    );
    config('one', 'action.succeeded', { pluginsDir: plugins });
    await start();
    await run('B1');
    expect(JSON.parse(readFileSync(join(home, 'tmon.lock'), 'utf8'))).toMatchObject({ plugins: [] });

    config('one', 'action.succeeded', { pluginsDir: plugins, rewritePlugin: 'tagger', pluginOptions: { tagger: { tag: 'second' } } });
    expect(JSON.parse(tmon(['--home', home, 'reload', '--json']).stdout)).toEqual({ applied: ['pluginOptions', 'rewritePlugin'], needRestart: [] });
    expect(JSON.parse(readFileSync(join(home, 'tmon.lock'), 'utf8'))).toMatchObject({ pid: daemon.child.pid, plugins: ['tagger'], pluginsDir: plugins });
    await run('B2');
    await waitFor('the plugin with its new option', () => daemon!.output().includes('tag=second'));
    expect(daemon.output()).not.toContain('tag=undefined');
    // New options for the plugin already running in its worker.
    config('one', 'action.succeeded', { pluginsDir: plugins, rewritePlugin: 'tagger', pluginOptions: { tagger: { tag: 'third' } } });
    expect(JSON.parse(tmon(['--home', home, 'reload', '--json']).stdout)).toEqual({ applied: ['pluginOptions'], needRestart: [] });
    await run('B3');
    await waitFor('the plugin with its newer option', () => daemon!.output().includes('tag=third'));
  });

  test('tmon reload with no daemon running says so', async () => {
    config('one', 'action.succeeded');
    await start();
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    const r = tmon(['--home', home, 'reload']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no daemon runs on this home');
  });
});
