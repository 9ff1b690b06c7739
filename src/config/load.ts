import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TmonError, hasCode } from '../errors.js';
import { positionAt } from '../kvgroup/syntax-error.js';
import { ConfigError } from './error.js';
import { jsonErrorOffset } from './json-position.js';
import { configProblems } from './normalise.js';
import type { Config } from './types.js';

export interface ConfigCheck {
  /** The file as named, and its absolute path. */
  file: string;
  path: string;
  /** False when there is no such file (and it was not required): the defaults apply. */
  found: boolean;
  config?: Config;
  /** Every problem, each `path.to.key: what is wrong` (a JSON error: `LINE:COLUMN: is not JSON: …`). */
  errors: string[];
}

/** The JSON of a config file, or its syntax error with line:column (V8 gives only an offset, if that). */
function parseJson(text: string): { raw?: unknown; error?: string } {
  try {
    return { raw: JSON.parse(text) };
  } catch (err) {
    const p = positionAt(text, jsonErrorOffset(text));
    // V8's own position, and its quote of the text, are replaced by the line:column.
    const what = (err as Error).message
      .replace(/( in JSON)? at position \d+.*$/s, '')
      .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
    return { error: `${p.line}:${p.column}: is not JSON: ${what}` };
  }
}

/** Reads and checks a config file, reporting every problem instead of throwing at the first. */
export function checkConfigFile(file: string, options: { required?: boolean; cwd?: string } = {}): ConfigCheck {
  const cwd = options.cwd ?? process.cwd();
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT') && !options.required) return { file, path, found: false, ...configProblems({}, cwd, undefined, cwd) };
    if (hasCode(err, 'ENOENT')) throw new TmonError('CLI_NO_INPUT', `${file}: no such config file`);
    throw err;
  }
  const { raw, error } = parseJson(text);
  if (error !== undefined) return { file, path, found: true, errors: [error] };
  return { file, path, found: true, ...configProblems(raw, dirname(path), file, cwd) };
}

/**
 * Reads a config file (JSON). `required` false: a missing file means the embedded defaults.
 */
export function loadConfig(file: string | undefined, options: { required?: boolean; cwd?: string } = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  if (!file) return configOrThrow(configProblems({}, cwd, undefined, cwd));
  return configOrThrow(checkConfigFile(file, options), file);
}

function configOrThrow(check: { config?: Config; errors: string[] }, file?: string): Config {
  if (!check.config) throw new ConfigError(check.errors, file);
  return check.config;
}
