import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';

/*
 * ajv, loaded when a schema is first compiled: loading it costs some 25 ms of CPU, which every
 * process that merely imported a schema module paid (`tmon --help` through the command modules,
 * a daemon that has not validated a batch yet). The config's validator is usually the one the
 * build generated (config/schema.ts), which needs no ajv at all. ajv is a CommonJS package, so
 * it can be required synchronously where the first compile happens.
 */
export function newAjv(options: Options): Ajv {
  const ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new ajv.Ajv(options);
}
