import type { KvDocument, KvGroup, KvMember } from './document.js';
import { isGroup } from './document.js';

const NEEDS_ESCAPE = /["\\\n\r\t]/;
const ESCAPE_ALL = /["\\\n\r\t]/g;
const ESCAPED: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string in canonical form: always quoted, and on one line whatever it holds. */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(ESCAPE_ALL, (c) => ESCAPED[c]!)}"` : `"${s}"`;
}

function printGroup(g: KvGroup, indent: string, out: string[]): void {
  out.push(`${indent}${quote(g.type)} ${quote(g.name)} = {\n`);
  const inner = indent + '  ';
  for (const m of g.members) printMember(m, inner, out);
  out.push(`${indent}}\n`);
}

function printMember(m: KvMember, indent: string, out: string[]): void {
  if (isGroup(m)) printGroup(m, indent, out);
  else out.push(`${indent}${quote(m.key)} = ${quote(m.value)}\n`);
}

/**
 * The canonical form of contract §1: two-space indent, one member per line, everything
 * quoted, no comments, a final newline. Parsing it gives back the same document.
 */
export function printKvg(doc: KvGroup | KvDocument): string {
  const out: string[] = [];
  for (const g of Array.isArray(doc) ? doc : [doc]) printGroup(g, '', out);
  return out.join('');
}

/** The JSON view of §1: one group's view for a document of one group, else an array. */
export function jsonView(doc: KvDocument): KvGroup | KvDocument {
  return doc.length === 1 ? doc[0]! : doc;
}
