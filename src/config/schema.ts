import { Ajv, type ErrorObject } from 'ajv';
import { EVENT_TYPES } from '../events.js';
import { MAX_TIMER_MS } from './defaults.js';

export const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pluginsDir: { type: 'string', minLength: 1 },
    rewritePlugin: {
      anyOf: [{ type: 'null' }, { type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }],
    },
    pluginOptions: { type: 'object', additionalProperties: { type: 'object' } },
    pluginTimeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
    pluginMemoryMb: { type: 'integer', minimum: 8 },
    pluginThreads: { type: 'integer', minimum: 1, maximum: 64 },
    pluginHostMemoryMb: { type: 'integer', minimum: 64 },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        batchBytes: { type: 'integer', minimum: 1024 },
        actionsPerBatch: { type: 'integer', minimum: 1 },
        fannedPerAction: { type: 'integer', minimum: 0 },
        pluginOutputBytes: { type: 'integer', minimum: 1024 },
      },
    },
    onPluginError: { enum: ['primary', 'fail'] },
    interpreters: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    targets: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          connector: { enum: ['directory', 'script'] },
          concurrency: { type: 'integer', minimum: 1 },
          script: { type: 'string', minLength: 1 },
          args: { type: 'array', items: { type: 'string' } },
          timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
          retry: { $ref: '#/$defs/retry' },
        },
      },
    },
    retry: { $ref: '#/$defs/retry' },
    replies: { type: 'object', additionalProperties: false, properties: { mode: { enum: ['action', 'tree'] } } },
    inboxSweepMs: { type: 'integer', minimum: 10, maximum: MAX_TIMER_MS },
    shutdownGraceMs: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS },
    maxRunning: { type: 'integer', minimum: 1 },
    storeSync: { enum: ['FULL', 'NORMAL'] },
    triggers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['event', 'script'],
        properties: {
          name: { type: 'string', minLength: 1 },
          event: { enum: [...EVENT_TYPES] },
          script: { type: 'string', minLength: 1 },
          args: { type: 'array', items: { type: 'string' } },
          format: { enum: ['kvgroup', 'json', 'xml'] },
          filter: {
            type: 'object',
            additionalProperties: false,
            properties: { hostid: { $ref: '#/$defs/names' }, operation: { $ref: '#/$defs/names' } },
          },
          timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
        },
      },
    },
    triggerConcurrency: { type: 'integer', minimum: 1 },
    triggerRetryDelaysMs: { type: 'array', items: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS } },
  },
  $defs: {
    names: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }] },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 1 },
        firstDelayMs: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS },
        maxDelayMs: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS },
      },
    },
  },
} as const;


const ajv = new Ajv({ allErrors: true, strict: true });
export const validateSchema = ajv.compile(SCHEMA);

function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '(top level)' : parts.join('.');
}

export function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `${keyPath(e.instancePath, (e.params as { additionalProperty: string }).additionalProperty)}: is not a known setting`;
    case 'required':
      return `${keyPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}: is required`;
    case 'enum':
      return `${keyPath(e.instancePath)}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf':
      return `${keyPath(e.instancePath)}: must be a plugin name, a list of plugin names, or null`;
    default:
      return `${keyPath(e.instancePath)}: ${e.message ?? 'is not valid'}`;
  }
}

