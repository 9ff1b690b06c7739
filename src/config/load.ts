import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TmonError, hasCode } from '../errors.js';
import { ConfigError } from './error.js';
import { normaliseConfig } from './normalise.js';
import type { Config } from './types.js';

/**
 * Reads a config file (JSON). `required` false: a missing file means the embedded defaults.
 */
export function loadConfig(file: string | undefined, options: { required?: boolean; cwd?: string } = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  if (!file) return normaliseConfig({}, cwd, undefined, cwd);
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT') && !options.required) return normaliseConfig({}, cwd, undefined, cwd);
    if (hasCode(err, 'ENOENT')) throw new TmonError('CLI_NO_INPUT', `${file}: no such config file`);
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`(file): is not JSON: ${(err as Error).message}`], file);
  }
  return normaliseConfig(raw, dirname(path), file, cwd);
}
