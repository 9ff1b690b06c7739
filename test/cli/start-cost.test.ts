import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { ROOT, TMON } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

/*
 * What a read-only command loads at its start. The KVGroup parser (Chevrotain), the validators
 * (ajv), the HTTP server and the plugin pool cost a view such as `tmon status` some 0.05 s of
 * CPU when a barrel import brought them back, on every one of the CLI runs of this suite and of
 * an operator's scripts. The preloaded module lists what was loaded: ES modules through a
 * loader hook (Chevrotain's one-file build), CommonJS ones from the require cache at exit (ajv,
 * required when a schema is first compiled).
 */
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { createRequire, register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function load(url, context, next) { process.stderr.write("LOADED " + url + "\\\\n"); return next(url, context); }'));
const cache = createRequire(process.argv[1]).cache;
process.on('exit', () => { for (const file of Object.keys(cache)) process.stderr.write('LOADED ' + file + '\\n'); });
`)}`;
const HEAVY = ['chevrotain', 'ajv', 'fastify', 'prom-client', 'piscina'];

function loaded(args: string[]): { status: number | null; stdout: string; heavy: string[] } {
  const r = spawnSync(process.execPath, ['--import', HOOK, TMON, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  const modules = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
  expect(modules.some((m) => m.includes('/dist/cli/main.js'))).toBe(true); // the hook saw the CLI load
  return { status: r.status, stdout: r.stdout, heavy: HEAVY.filter((name) => modules.some((m) => m.includes(`/node_modules/${name}/`))) };
}

test('tmon status and tmon --version load neither the parser, the validators, the HTTP server nor the plugin pool', () => {
  const dir = tempDir();
  try {
    const home = join(dir.path, 'home');
    new SqliteStore(join(home, 'tmon.db')).db.close();
    const status = loaded(['--home', home, 'status']);
    expect(status).toEqual({ status: 0, stdout: 'no batches\n', heavy: [] });
    expect(loaded(['--version'])).toEqual({ status: 0, stdout: '0.1.0\n', heavy: [] });
  } finally {
    dir.cleanup();
  }
});
