import { execFile } from 'node:child_process';
import { minimalEnv } from '../child-process.js';
import { permissionFlag } from './permission.js';

/*
 * Where a JS plugin's syntax error is. Node reports an ES module's SyntaxError without any
 * position (and a CommonJS one with the line only), so the daemon asks `node --check`, which
 * prints FILE:LINE, the line and a caret under the column. It parses, it runs nothing; it
 * gets read access to that one file and nothing else. Only asked after a load failed.
 */

const CHECK_TIMEOUT_MS = 10_000;

/** `FILE:LINE:COLUMN: message` (`FILE:LINE: message` without a caret) from `node --check`'s stderr, or undefined when it has no such shape. */
export function parseCheckOutput(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  const head = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  const caretLine = lines.findIndex((l, i) => i > 0 && /^\s*\^+\s*$/.test(l));
  const reason = lines.map((l) => /^SyntaxError: (.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
  if (!head || reason === undefined) return undefined;
  // An error at the end of the file ("Unexpected end of input") has no caret: the line only.
  if (caretLine < 0) return `${head[1]}:${head[2]}: ${reason}`;
  // Columns count characters, a tab being one, as KVGroup's syntax errors do.
  const column = lines[caretLine]!.indexOf('^') + 1;
  return `${head[1]}:${head[2]}:${column}: ${reason}`;
}

/** The syntax error of the JS file at `path` with its position, or undefined if none is found. */
export function locateSyntaxError(path: string): Promise<string | undefined> {
  const args = [permissionFlag(), `--allow-fs-read=${path}`, '--no-warnings', '--check', path];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: minimalEnv({}), timeout: CHECK_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (err, _stdout, stderr) => {
      resolve(err ? parseCheckOutput(String(stderr)) : undefined);
    });
  });
}
