// `npm run build`'s second step: the config schema's validator as ajv standalone code, written
// beside the compiled schema (dist/config/schema-validator.cjs), so that the daemon and the
// commands that read the config load it instead of loading ajv and compiling the schema at
// each start (src/config/schema.ts, generatedValidator). It carries the digest of the schema
// and options it was made from; one made from another is not used.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AJV_OPTIONS, SCHEMA, schemaDigest } from '../dist/config/schema.js';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

// code.source keeps the generated code for standaloneCode; it changes nothing it checks.
const ajv = new Ajv({ ...AJV_OPTIONS, code: { ...AJV_OPTIONS.code, source: true } });
const code = standaloneCode(ajv, ajv.compile(SCHEMA));
writeFileSync(new URL('../dist/config/schema-validator.cjs', import.meta.url), `${code}\nmodule.exports.schemaDigest = ${JSON.stringify(schemaDigest())};\n`);
