import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { digestOf, generatedModule, newAjv } from '../lazy-ajv.js';
import { EVENT_TYPES } from '../events.js';
import { MAX_TIMER_MS } from './defaults.js';
import { didYouMean } from '../suggest.js';

const LDAP_URL = '^ldaps?://[^/?#]+/?$';
const DN = '=';
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
const ATTRIBUTE = '^[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*$';
const POSTGRES_URL = '^postgres(ql)?://';
const SQL_SCHEMA = '^[a-z_][a-z0-9_]{0,62}$';
/** What each pattern means, for the error message (ajv would print the regular expression). */
const PATTERN_MEANING: Record<string, string> = {
  [LDAP_URL]: 'must be an ldap:// or ldaps:// URL with host and port only, such as "ldap://127.0.0.1:389"',
  [DN]: 'must be a DN, such as "ou=People,dc=example,dc=com"',
  [ENV_NAME]: 'must be an environment variable name',
  [ATTRIBUTE]: 'must be an LDAP attribute name, such as "mail"',
  [POSTGRES_URL]: 'must be a postgres:// URL, such as "postgres://tmon:PASSWORD@db.example.com:5432/tmon"',
  [SQL_SCHEMA]: 'must be a lower-case SQL identifier (letters, digits, _), such as "tmon"',
};

/** The ldap connector's keys of a target entry (docs/ldap.md). */
const LDAP_TARGET_PROPERTIES = {
  url: { type: 'string', pattern: LDAP_URL },
  startTls: { type: 'boolean' },
  bindDn: { type: 'string', pattern: DN },
  passwordFile: { type: 'string', minLength: 1 },
  passwordEnv: { type: 'string', pattern: ENV_NAME },
  usersDn: { type: 'string', pattern: DN },
  groupsDn: { type: 'string', pattern: DN },
  userRdn: { type: 'string', pattern: ATTRIBUTE },
  objectClasses: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  attributes: { type: 'object', additionalProperties: { type: 'string', pattern: ATTRIBUTE } },
  tls: {
    type: 'object',
    additionalProperties: false,
    properties: { ca: { type: 'string', minLength: 1 }, rejectUnauthorized: { type: 'boolean' } },
  },
  poolSize: { type: 'integer', minimum: 1, maximum: 64 },
} as const;

export const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pluginsDir: { type: 'string', minLength: 1 },
    inbox: { type: ['string', 'null'], minLength: 1 },
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
          connector: { enum: ['directory', 'script', 'ldap'] },
          concurrency: { type: 'integer', minimum: 1 },
          script: { type: 'string', minLength: 1 },
          args: { type: 'array', items: { type: 'string' } },
          timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
          retry: { $ref: '#/$defs/retry' },
          ...LDAP_TARGET_PROPERTIES,
        },
      },
    },
    retry: { $ref: '#/$defs/retry' },
    replies: { type: 'object', additionalProperties: false, properties: { mode: { enum: ['action', 'tree'] }, files: { enum: ['grouped', 'each'] } } },
    inboxSweepMs: { type: 'integer', minimum: 10, maximum: MAX_TIMER_MS },
    shutdownGraceMs: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS },
    maxRunning: { type: 'integer', minimum: 1 },
    maxPendingActions: { type: 'integer', minimum: 1 },
    storeSync: { enum: ['FULL', 'NORMAL'] },
    storeBusyTimeoutMs: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS },
    pluginHoldMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
    firstPurgeMs: { type: 'integer', minimum: 0, maximum: MAX_TIMER_MS },
    store: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: ['sqlite', 'postgres'] },
        url: { type: 'string', pattern: POSTGRES_URL },
        poolSize: { type: 'integer', minimum: 1, maximum: 100 },
        schema: { type: 'string', pattern: SQL_SCHEMA },
        leaseMs: { type: 'integer', minimum: 1000, maximum: MAX_TIMER_MS },
      },
    },
    triggers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['event', 'script'],
        properties: {
          name: { type: 'string', minLength: 1 },
          event: { anyOf: [{ enum: [...EVENT_TYPES] }, { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...EVENT_TYPES] } }] },
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
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        listen: { type: 'string', minLength: 1 },
        tokens: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'token', 'roles'],
            properties: {
              name: { type: 'string', minLength: 1 },
              // Short tokens can be guessed; 16 characters is the least worth calling a secret.
              token: { type: 'string', minLength: 16 },
              roles: { type: 'array', items: { enum: ['submit', 'read', 'operate'] } },
            },
          },
        },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          properties: { cert: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 } },
        },
        insecure: { type: 'boolean' },
        bodyLimitMb: { type: 'number', exclusiveMinimum: 0, maximum: 1024 },
        metricsAuth: { type: 'boolean' },
      },
    },
    logs: {
      type: 'object',
      additionalProperties: false,
      // A fraction of a megabyte is allowed: tests, and a small disk.
      properties: { maxSizeMb: { type: 'number', exclusiveMinimum: 0, maximum: 1e6 }, maxFiles: { type: 'integer', minimum: 1, maximum: 1000 } },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      // Days; a fraction is allowed (tests, a busy small disk), up to about 100 years.
      properties: { batchesDays: { type: 'number', minimum: 0, maximum: 36500 }, messagesDays: { type: 'number', minimum: 0, maximum: 36500 } },
    },
    logLevel: { enum: ['error', 'warn', 'info', 'debug'] },
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


// verbose: each error carries its schema, whose known keys a misspelt one is matched against.
// optimize: false skips ajv's passes over the generated code (tens of ms of CPU at each compile).
export const AJV_OPTIONS = { allErrors: true, strict: true, verbose: true, code: { optimize: false } } as const satisfies Options;

/** What the generated validator must be made from (see `generatedModule`). */
export function schemaDigest(): string {
  return digestOf([SCHEMA, AJV_OPTIONS]);
}

let validate: ValidateFunction | undefined;

/**
 * The config's validator, made on first use: ajv's `errors` are on it after a call. The one the
 * build generated (dist/config/schema-validator.cjs) costs some 4 ms of CPU to load, where
 * loading ajv and compiling the schema cost some 70 ms, at every daemon start and every
 * command that reads the config.
 */
export function schemaValidator(): ValidateFunction {
  return (validate ??= generatedModule<ValidateFunction>(import.meta.url, './schema-validator.cjs', schemaDigest()) ?? newAjv(AJV_OPTIONS).compile(SCHEMA));
}

function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  // Array items as the rules write them: triggers[1].name.
  return parts.length === 0 ? '(top level)' : parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}

export function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = didYouMean(key, known);
      return `${keyPath(e.instancePath, key)}: is not a known setting${guess ? `; did you mean "${guess}"?` : ''}`;
    }
    case 'required':
      return `${keyPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}: is required`;
    case 'enum':
      return `${keyPath(e.instancePath)}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${keyPath(e.instancePath)}: ${PATTERN_MEANING[(e.params as { pattern: string }).pattern] ?? e.message ?? 'is not valid'}`;
    case 'anyOf':
      return /\/event$/.test(e.instancePath)
        ? `${keyPath(e.instancePath)}: must be an event name or a list of event names: ${EVENT_TYPES.join(', ')}`
        : `${keyPath(e.instancePath)}: must be a plugin name, a list of plugin names, or null`;
    default:
      return `${keyPath(e.instancePath)}: ${e.message ?? 'is not valid'}`;
  }
}


/** The schema's errors said once each; anyOf also reports each failed branch, and its own summary says it better. */
export function schemaErrors(errors: readonly ErrorObject[]): string[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return [...new Set(errors.filter((e) => e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath)).map(describe))];
}
