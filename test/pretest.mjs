/*
 * `npm test`'s first step: the build (the end-to-end tests run dist/). The type check of the
 * tests runs beside jest (test/run.mjs), not here: it is ~8 s of one core, and jest leaves a
 * third of the machine idle while it waits on daemons, so side by side it costs a few seconds
 * of the run instead of eight.
 */
import { spawn } from 'node:child_process';

const npm = process.env.npm_execpath;
// `npm run build` itself, so that the tests always run what the build script makes.
const [command, args] = npm ? [process.execPath, [npm, 'run', '--silent', 'build']] : ['npm', ['run', '--silent', 'build']];
const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (err) => {
  console.error(`pretest: ${command} ${args.join(' ')}: ${err.message}`);
  process.exitCode = 1;
});
child.on('exit', (code, signal) => (process.exitCode = code ?? (signal ? 1 : 0)));
