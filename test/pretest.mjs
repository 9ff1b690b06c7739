/*
 * `npm test`'s first step: the build (the end-to-end tests run dist/) and the type check of
 * the tests, side by side. Each is one single-threaded tsc of ~10 s, which one after the other
 * kept a core idle for as long; the run fails if either does, with each one's own output.
 */
import { spawn } from 'node:child_process';

const npm = process.env.npm_execpath;
const steps = [
  // `npm run build` itself, so that the tests always run what the build script makes.
  npm ? [process.execPath, [npm, 'run', '--silent', 'build']] : ['npm', ['run', '--silent', 'build']],
  // Incremental: a second run on an unchanged tree takes a second (the cache is local, under node_modules).
  [process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tmon/tsc-test.tsbuildinfo']],
];

const codes = await Promise.all(
  steps.map(
    ([command, args]) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { stdio: 'inherit' });
        child.on('error', (err) => {
          console.error(`pretest: ${command} ${args.join(' ')}: ${err.message}`);
          resolve(1);
        });
        child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      }),
  ),
);
process.exitCode = codes.some((c) => c !== 0) ? 1 : 0;
