// `npm run build`'s second step: the validators of the config schema and of the built-in
// operations' schemas as ajv standalone code, written beside the compiled modules that use
// them (dist/config/schema-validator.cjs, dist/batch/schema-validators.cjs). The daemon and
// the commands load these instead of loading ajv and compiling at each start (generatedModule
// in src/lazy-ajv.ts). Each file carries the digest of the schemas and options it was made
// from; one made from others is not used.
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as batch from '../dist/batch/schema.js';
import * as config from '../dist/config/schema.js';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

// code.source keeps the generated code for standaloneCode; it changes nothing it checks.
const ajvWith = (options) => new Ajv({ ...options, code: { ...options.code, source: true } });
// Written whole or not at all (a temporary file renamed): a build cut short leaves the old file or none.
const write = (file, code, digest) => {
  const target = new URL(file, import.meta.url);
  const partial = new URL(`${file}.partial`, import.meta.url);
  writeFileSync(partial, `${code}\nmodule.exports.schemaDigest = ${JSON.stringify(digest)};\n`);
  renameSync(partial, target);
};

const forConfig = ajvWith(config.AJV_OPTIONS);
write('../dist/config/schema-validator.cjs', standaloneCode(forConfig, forConfig.compile(config.SCHEMA)), config.schemaDigest());

// One export per operation (v0, v1, ...: operation names need not be identifiers), and
// `validators`, by operation name ('' for an operation the table does not know).
const forBatch = ajvWith(batch.AJV_OPTIONS);
const keys = Object.entries(batch.builtInSchemas()).map(([key, schema], i) => (forBatch.addSchema(schema, `operation-${i}`), key));
const code = standaloneCode(forBatch, Object.fromEntries(keys.map((_, i) => [`v${i}`, `operation-${i}`])));
const validators = `module.exports.validators = {${keys.map((key, i) => `${JSON.stringify(key)}: exports.v${i}`).join(', ')}};`;
write('../dist/batch/schema-validators.cjs', `${code}\n${validators}`, batch.schemasDigest());
