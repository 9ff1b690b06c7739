import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { digestOf, generatedModule, newAjv } from '../lazy-ajv.js';
import type { Action } from './model.js';
import { OPERATIONS, type OperationSpec, type OperationTable } from './operations.js';

/*
 * ajv schemas for an action's pairs, generated from the operation table: one compiled
 * validator per operation, so adding an operation to the table is all it takes. The object
 * validated is the action's first pair values plus `attributes` as an object (empty when the
 * action has no attributes group).
 */

export type ActionFault = { kind: 'missing'; key: string } | { kind: 'interactive'; value: string };

export const AJV_OPTIONS = { allErrors: true, strict: true } as const;
// Made with the first validator compiled here (see lazy-ajv.ts).
let ajv: Ajv | undefined;
const NON_EMPTY = { type: 'string', minLength: 1 } as const;

function schemaFor(spec: OperationSpec): object {
  const top = spec.needs.filter((k) => !k.startsWith('attributes'));
  const inAttributes = spec.needs.filter((k) => k.startsWith('attributes.')).map((k) => k.slice('attributes.'.length));
  return {
    type: 'object',
    required: top,
    properties: {
      ...Object.fromEntries(top.map((k) => [k, NON_EMPTY])),
      interactive: { enum: ['true', 'false', ''] },
      attributes: {
        type: 'object',
        required: inAttributes,
        properties: Object.fromEntries(inAttributes.map((k) => [k, NON_EMPTY])),
        ...(spec.needs.includes('attributes') ? { minProperties: 1 } : {}),
      },
    },
  };
}

const compiled = new WeakMap<OperationTable, Map<string, ValidateFunction>>();

/** For an operation the table does not know: only what every action must satisfy. */
const ANY_OPERATION: OperationSpec = { does: '', needs: [] };

/**
 * The schema of each operation of the built-in table, and under '' the one for an operation it
 * does not know: what the build generates validators from (packaging/precompile-schemas.mjs).
 */
export function builtInSchemas(): Record<string, object> {
  return Object.fromEntries([...Object.keys(OPERATIONS), ''].map((key) => [key, schemaFor(OPERATIONS[key] ?? ANY_OPERATION)]));
}

/** What the generated validators must be made from (see `generatedModule`). */
export function schemasDigest(): string {
  return digestOf([builtInSchemas(), AJV_OPTIONS]);
}

/**
 * The validators the build generated for the built-in table, by operation ('' for an unknown
 * one): loading them costs a few ms of CPU, where loading ajv and compiling the first schema
 * cost some 60 ms, at every daemon's first batch and every submit or validate.
 */
let generated: { validators: Record<string, ValidateFunction> } | null | undefined;
function generatedFor(key: string): ValidateFunction | undefined {
  if (generated === undefined) generated = generatedModule<{ validators: Record<string, ValidateFunction> }>(import.meta.url, './schema-validators.cjs', schemasDigest()) ?? null;
  return generated && Object.hasOwn(generated.validators, key) ? generated.validators[key] : undefined;
}

function validatorFor(table: OperationTable, operation: string): ValidateFunction {
  let byOp = compiled.get(table);
  if (!byOp) compiled.set(table, (byOp = new Map()));
  const key = Object.hasOwn(table, operation) ? operation : '';
  let v = byOp.get(key);
  if (!v) byOp.set(key, (v = (table === OPERATIONS ? generatedFor(key) : undefined) ?? (ajv ??= newAjv(AJV_OPTIONS)).compile(schemaFor(table[key] ?? ANY_OPERATION))));
  return v;
}

function faultOf(e: ErrorObject, data: { interactive?: string }): ActionFault {
  const prefix = e.instancePath === '/attributes' ? 'attributes.' : '';
  switch (e.keyword) {
    case 'required':
      return { kind: 'missing', key: `${prefix}${(e.params as { missingProperty: string }).missingProperty}` };
    case 'enum':
      return { kind: 'interactive', value: data.interactive ?? '' };
    case 'minProperties':
      return { kind: 'missing', key: 'attributes' };
    default:
      // minLength (an empty value) and type: the key's path is the instance path.
      return { kind: 'missing', key: e.instancePath.slice(1).replace('/', '.') };
  }
}

/**
 * The faults of an action's pairs against its operation's schema (for an operation the table
 * does not know, against what every action must satisfy).
 */
export function actionFaults(table: OperationTable, action: Action): ActionFault[] {
  const validate = validatorFor(table, action.pairs.operation ?? '');
  // An action without an attributes group is checked as one with an empty group, so that a
  // missing group reads as the missing keys inside it.
  const data = { ...action.pairs, attributes: action.attributes };
  if (validate(data)) return [];
  const seen = new Set<string>();
  const faults: ActionFault[] = [];
  for (const e of validate.errors ?? []) {
    const f = faultOf(e, data);
    const k = f.kind === 'missing' ? f.key : 'interactive';
    if (!seen.has(k)) faults.push(f), seen.add(k);
  }
  // ajv reports missing keys before empty ones; report them in the table's order instead.
  const spec = table[action.pairs.operation ?? ''];
  const rank = (f: ActionFault): number => (f.kind === 'missing' ? (spec?.needs.indexOf(f.key) ?? 0) : Infinity);
  return faults.sort((a, b) => rank(a) - rank(b));
}
