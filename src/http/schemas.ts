/*
 * The JSON schemas of the API: Fastify validates requests and serialises answers with them, and
 * @fastify/swagger describes them in /v1/openapi.json, so the document is the code's own. The
 * answer shapes are those `tmon … --json` prints (status, replies, messages, plugins).
 */
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

/** Shared schemas, added with `addSchema` and referred to as `NAME#`. */
export const SHARED_SCHEMAS = [
  {
    $id: 'KvGroup',
    title: 'KvGroup',
    description: 'The JSON view of a KVGroup group (contract §1); a pair is {key, value}.',
    type: 'object',
    required: ['type', 'name', 'members'],
    additionalProperties: false,
    properties: {
      type: str,
      name: str,
      members: {
        type: 'array',
        items: {
          anyOf: [
            { type: 'object', required: ['key', 'value'], additionalProperties: false, properties: { key: str, value: str } },
            { $ref: 'KvGroup#' },
          ],
        },
      },
    },
  },
  {
    $id: 'Error',
    title: 'Error',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: str,
          message: str,
          problems: {
            type: 'array',
            items: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: str, message: str, batch: nullableStr, action: nullableStr, line: int, column: int },
            },
          },
        },
      },
    },
  },
  {
    $id: 'Reply',
    title: 'Reply',
    type: 'object',
    required: ['seq', 'replyid', 'batch', 'action', 'operation', 'status', 'retval', 'message', 'at'],
    properties: {
      seq: int,
      replyid: str,
      batch: str,
      action: str,
      operation: str,
      status: { enum: ['success', 'failure'] },
      retval: str,
      message: str,
      at: { type: 'string', format: 'date-time' },
    },
  },
  {
    $id: 'BatchSummary',
    title: 'BatchSummary',
    type: 'object',
    required: ['id', 'state', 'source', 'receivedAt', 'finishedAt', 'counts'],
    properties: {
      id: str,
      state: { enum: ['received', 'running', 'succeeded', 'failed', 'canceled'] },
      source: str,
      receivedAt: { type: 'integer', description: 'milliseconds since 1970' },
      finishedAt: nullableInt,
      counts: {
        type: 'object',
        required: ['total', 'succeeded', 'failed', 'skipped', 'canceled', 'pending'],
        properties: { total: int, succeeded: int, failed: int, skipped: int, canceled: int, pending: int },
      },
    },
  },
  {
    $id: 'Message',
    title: 'Message',
    type: 'object',
    required: ['seq', 'at', 'level', 'source', 'batch', 'action', 'text'],
    properties: { seq: int, at: { type: 'string', format: 'date-time' }, level: { enum: ['info', 'warn', 'error'] }, source: str, batch: nullableStr, action: nullableStr, text: str },
  },
] as const;

export const ACTION_DETAIL = {
  type: 'object',
  properties: {
    id: str,
    primaryId: str,
    plugin: nullableStr,
    state: { enum: ['waiting', 'ready', 'running', 'retrying', 'succeeded', 'failed', 'skipped', 'canceled'] },
    operation: str,
    hostid: str,
    userid: str,
    replyid: str,
    interactive: { type: 'boolean' },
    attempts: int,
    nextAttemptAt: nullableInt,
    retval: nullableStr,
    lastError: nullableStr,
    depends: { type: 'array', items: { type: 'object', properties: { batch: str, action: str } } },
    startedAt: nullableInt,
    finishedAt: nullableInt,
  },
} as const;

export const ref = (id: (typeof SHARED_SCHEMAS)[number]['$id']): { $ref: string } => ({ $ref: `${id}#` });

/** The answers every route may give besides its own. */
export const ERRORS = { 400: ref('Error'), 401: ref('Error'), 403: ref('Error') } as const;

/** Besides, for requests that change something: 503 once the daemon is shutting down. */
export const WRITE_ERRORS = { ...ERRORS, 503: ref('Error') } as const;
