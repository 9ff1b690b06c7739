import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';

/*
 * ajv, loaded when a schema is first compiled. Loading it costs some 25 ms of CPU and compiling
 * the config's schema some 40 ms more: paid at every start of a process that merely imports
 * a schema module (`tmon --help`, a daemon on a home without a config file) until it was made
 * lazy. ajv is a CommonJS package, so it can be required synchronously at that point.
 */
export function newAjv(options: Options): Ajv {
  const ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new ajv.Ajv(options);
}
