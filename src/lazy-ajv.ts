import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, Options } from 'ajv';

/*
 * ajv, loaded when a schema is first compiled: loading it costs some 25 ms of CPU, which every
 * process that merely imported a schema module paid (`tmon --help` through the command modules,
 * the views through the store). The config's and the operations' validators are usually the
 * ones the build generated (`generatedModule`), which need no ajv at all. ajv is a CommonJS
 * package, so it can be required synchronously where the first compile happens.
 */
export function newAjv(options: Options): Ajv {
  const ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new ajv.Ajv(options);
}

/**
 * What generated validators are made from (schemas, ajv options, and ajv's version, since the
 * generated code calls ajv's runtime modules): the digest they carry.
 */
export function digestOf(value: unknown): string {
  const { version } = createRequire(import.meta.url)('ajv/package.json') as { version: string };
  return createHash('sha256').update(JSON.stringify([version, value])).digest('hex');
}

/**
 * Validators `npm run build` generated as ajv standalone code (packaging/precompile-schemas.mjs)
 * into `name` beside the module at `moduleUrl`: loading them costs a few ms of CPU, where
 * loading ajv and compiling cost tens. Undefined without the file (the tests run the
 * TypeScript sources), when it cannot be loaded, or when it was made from other schemas than
 * `digest` says (a tsc run without the build's second step): the caller compiles then.
 */
export function generatedModule<T extends object>(moduleUrl: string, name: string, digest: string): T | undefined {
  const file = fileURLToPath(new URL(name, moduleUrl));
  if (!existsSync(file)) return undefined;
  let generated: T & { schemaDigest?: string };
  try {
    generated = createRequire(moduleUrl)(file) as T & { schemaDigest?: string };
  } catch {
    // Unreadable (a build cut short): compiling is slower, never wrong.
    return undefined;
  }
  return generated.schemaDigest === digest ? generated : undefined;
}
