/*
 * `npm test`: jest, and beside it the type check of the tests (ts-jest only transpiles them).
 * The run fails if either does. The type checker's output is held back and printed after
 * jest's, so the two do not interleave. Arguments go to jest (`npm test -- test/cli`).
 */
import { spawn } from 'node:child_process';

/** @param {string[]} args @param {import('node:child_process').StdioOptions} stdio */
function run(args, stdio) {
  const child = spawn(process.execPath, args, { stdio });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: 1, out: `${args.join(' ')}: ${err.message}\n` }));
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

// Incremental: a second run on an unchanged tree takes a second (the cache is local, under node_modules).
const typecheck = run(['node_modules/typescript/bin/tsc', '-p', 'test', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tmon/tsc-test.tsbuildinfo'], ['ignore', 'pipe', 'pipe']);
const jest = run(['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)], 'inherit');
const [checked, tested] = await Promise.all([typecheck, jest]);
if (checked.code !== 0) process.stderr.write(`\nThe type check of the tests failed (tsc -p test):\n${checked.out}`);
process.exitCode = tested.code !== 0 ? tested.code : checked.code;
