import { XMLBuilder } from 'fast-xml-parser';
import type { PayloadFormat } from '../config/index.js';
import { printKvg } from '../kvgroup/index.js';
import type { StoreEvent } from '../store/index.js';

/** The event's fields in a fixed order, time as ISO 8601; absent fields left out. */
function fields(event: StoreEvent): Array<[string, string]> {
  const order: Array<keyof StoreEvent> = ['batch', 'action', 'state', 'operation', 'hostid', 'plugin', 'source', 'message'];
  const out: Array<[string, string]> = [['event', event.type]];
  for (const k of order) {
    const v = event[k];
    if (v !== undefined && v !== null) out.push([k, String(v)]);
  }
  out.push(['at', new Date(event.at).toISOString()]);
  return out;
}

const xml = new XMLBuilder({ format: true, ignoreAttributes: false, attributeNamePrefix: '@_' });

/**
 * What a trigger script reads on stdin. The event never holds a document, so never a
 * password. XML is built by a maintained builder, which escapes what must be.
 */
export function renderPayload(event: StoreEvent, format: PayloadFormat): string {
  const f = fields(event);
  switch (format) {
    case 'json':
      return `${JSON.stringify(Object.fromEntries(f))}\n`;
    case 'kvgroup':
      return printKvg({ type: 'event', name: event.type, members: f.map(([key, value]) => ({ key, value })) });
    case 'xml':
      return `<?xml version="1.0" encoding="UTF-8"?>\n${xml.build({ event: { '@_type': event.type, ...Object.fromEntries(f.filter(([k]) => k !== 'event')) } })}`;
  }
}

/** Sample data for `tmon triggers test`: what such an event carries. */
export function sampleEvent(type: StoreEvent['type']): StoreEvent {
  const at = Date.now();
  const action = { batch: 'SAMPLE-1', action: 'SAMPLE-1_0', operation: 'DNAU', hostid: 'AD' };
  switch (type) {
    case 'batch.received':
      return { type, batch: 'SAMPLE-1', state: 'received', source: 'SAMPLE-1.kvg', message: '1 action(s)', at };
    case 'batch.rejected':
      return { type, batch: null, source: 'broken.kvg', message: 'broken.kvg:2:15: expected "=" but found "{"', at };
    case 'batch.completed':
      return { type, batch: 'SAMPLE-1', state: 'succeeded', at };
    case 'batch.canceled':
      return { type, batch: 'SAMPLE-1', state: 'canceled', at };
    case 'action.rewritten':
      return { type, ...action, plugin: 'terminate-disable', message: 'action SAMPLE-1_0: rewritten by plugin terminate-disable into 2 actions', at };
    case 'plugin.failed':
      return { type, ...action, plugin: 'terminate-disable', message: 'action SAMPLE-1_0: plugin terminate-disable timed out after 5000 ms; primary action kept as submitted', at };
    default:
      return { type, ...action, state: type.slice('action.'.length), message: `sample ${type} event`, at };
  }
}
