/*
 * `npm test`: jest, and beside it the type check of the tests (ts-jest only transpiles them).
 * The run fails if either does. The type checker's output is held back and printed after
 * jest's, so the two do not interleave. Arguments go to jest (`npm test -- test/cli`).
 * SIGINT and SIGTERM are passed on to both, so that stopping `npm test` (a CI timeout, a
 * service manager) does not leave jest and its daemons running.
 */
import { spawn } from 'node:child_process';

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];

/** @param {string[]} args @param {import('node:child_process').StdioOptions} stdio */
function run(args, stdio) {
  const child = spawn(process.execPath, args, { stdio });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: 1, out: `${args.join(' ')}: ${err.message}\n` }));
    // 'close', not 'exit': the pipes may still hold the end of the output at exit.
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

// Incremental: a second run on an unchanged tree takes a second (the cache is local, under node_modules).
const typecheck = run(['node_modules/typescript/bin/tsc', '-p', 'test', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tmon/tsc-test.tsbuildinfo'], ['ignore', 'pipe', 'pipe']);
const jest = run(['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)], 'inherit');
const [checked, tested] = await Promise.all([typecheck, jest]);
if (checked.code !== 0) process.stderr.write(`\nThe type check of the tests failed (tsc -p test):\n${checked.out}`);
process.exitCode = tested.code !== 0 ? tested.code : checked.code;
