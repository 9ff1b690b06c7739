import type { XMLBuilder } from 'fast-xml-parser';
import { createRequire } from 'node:module';
import type { PayloadFormat } from '../config/index.js';
import type { KvGroup } from '../kvgroup/document.js';
import { printKvg } from '../kvgroup/printer.js';
import type { StoreEvent, TriggerPayload } from '../store/index.js';

/** The payload's single values in a fixed order, times as ISO 8601; absent fields left out. */
function fields(p: TriggerPayload): Array<[string, string]> {
  const order: Array<keyof TriggerPayload> = ['batch', 'action', 'state', 'operation', 'hostid', 'userid', 'replyid', 'retval', 'attempt', 'plugin', 'source', 'who', 'message'];
  const out: Array<[string, string]> = [['event', p.type]];
  for (const k of order) {
    const v = p[k];
    if (v !== undefined && v !== null) out.push([k, String(v)]);
  }
  if (p.received !== undefined) out.push(['received', new Date(p.received).toISOString()]);
  out.push(['at', new Date(p.at).toISOString()]);
  return out;
}

/** The pairs of the batch's request and recipient groups, as the workflow manager sent them. */
function contexts(p: TriggerPayload): Array<[string, Record<string, string>]> {
  return (['request', 'recipient'] as const).flatMap((k) => (p[k] ? [[k, p[k]!] as [string, Record<string, string>]] : []));
}

let builder: XMLBuilder | undefined;

/**
 * The XML builder, made for the first XML payload: loading fast-xml-parser cost every daemon
 * start and trigger-reading command ~25 ms of CPU, for a format few triggers use. Its CommonJS
 * build (the same version) is required synchronously at that point.
 */
function xml(): XMLBuilder {
  if (builder) return builder;
  const { XMLBuilder: Builder } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');
  return (builder = new Builder({ format: true, ignoreAttributes: false, attributeNamePrefix: '@_' }));
}

/**
 * What a trigger script reads on stdin. The payload never holds a document, so never a
 * password. XML is built by a maintained builder, which escapes what must be.
 */
export function renderPayload(payload: TriggerPayload, format: PayloadFormat): string {
  const f = fields(payload);
  const ctx = contexts(payload);
  switch (format) {
    case 'json':
      return `${JSON.stringify({ ...Object.fromEntries(f), ...(payload.attempt !== undefined ? { attempt: payload.attempt } : {}), ...Object.fromEntries(ctx) })}\n`;
    case 'kvgroup': {
      const groups: KvGroup[] = ctx.map(([type, pairs]) => ({ type, name: '', members: Object.entries(pairs).map(([key, value]) => ({ key, value })) }));
      return printKvg({ type: 'event', name: payload.type, members: [...f.map(([key, value]) => ({ key, value })), ...groups] });
    }
    case 'xml':
      return `<?xml version="1.0" encoding="UTF-8"?>\n${xml().build({ event: { '@_type': payload.type, ...Object.fromEntries(f.filter(([k]) => k !== 'event')), ...Object.fromEntries(ctx) } })}`;
  }
}

/** Sample data for `tmon triggers test`: what such an event carries. */
export function sampleEvent(type: StoreEvent['type']): TriggerPayload {
  const at = Date.now();
  const batch = { batch: 'SAMPLE-1', received: at - 60_000, request: { id: 'REQ-1', requester: 'jdoe' }, recipient: { userid: 'ann', fname: 'Ann Smith' } };
  const action = { ...batch, action: 'SAMPLE-1_0', operation: 'DNAU', hostid: 'AD', userid: 'ann', replyid: 'SAMPLE-REPLY-1', attempt: 1 };
  switch (type) {
    case 'batch.received':
      return { type, ...batch, state: 'received', source: 'SAMPLE-1.kvg', message: '1 action(s)', at };
    case 'batch.resubmitted':
      return { type, ...batch, source: 'SAMPLE-1.kvg', message: 'batch SAMPLE-1 arrived again with the same content; nothing to do', at };
    case 'batch.rejected':
      return { type, batch: null, source: 'broken.kvg', message: 'broken.kvg:2:15: expected "=" but found "{"', at };
    case 'batch.completed':
      return { type, ...batch, state: 'succeeded', at };
    case 'batch.canceled':
      return { type, ...batch, state: 'canceled', who: 'operator', message: 'canceled by an operator', at };
    case 'action.retried':
      return { type, ...action, state: 'waiting', who: 'operator', message: 'retry: SAMPLE-1_0 queued again', at };
    case 'action.rewritten':
      return { type, ...action, plugin: 'terminate-disable', message: 'action SAMPLE-1_0: rewritten by plugin terminate-disable into 2 actions', at };
    case 'plugin.failed':
      return { type, ...action, plugin: 'terminate-disable', message: 'action SAMPLE-1_0: plugin terminate-disable timed out after 5000 ms; primary action kept as submitted', at };
    default:
      return { type, ...action, state: type.slice('action.'.length), retval: type === 'action.succeeded' ? '0' : '1', message: `sample ${type} event`, at };
  }
}
