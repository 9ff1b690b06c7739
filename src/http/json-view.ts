import type { KvGroup } from '../kvgroup/document.js';
import { printKvg } from '../kvgroup/printer.js';

/**
 * A batch sent as its JSON view (contract §1: a group, or an array of groups for a stream),
 * as KVGroup text. The text is canonical, so it goes through the very parse and validation a
 * file from the inbox does, and has the same digest as the same batch sent as text.
 */
export function textOfJsonView(body: KvGroup | KvGroup[]): string {
  return printKvg(Array.isArray(body) ? body : [body]);
}
