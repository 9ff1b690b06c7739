import type { TriggerConfig } from '../config/index.js';
import type { StoreEvent } from '../store/index.js';

/** Which triggers an event starts: its type, then the filter (all given fields must match). */
export function triggersFor(triggers: readonly TriggerConfig[]): (event: StoreEvent) => string[] {
  return (event) =>
    triggers
      .filter((t) => t.events.includes(event.type))
      .filter((t) => !t.filter.hostid || (event.hostid !== undefined && t.filter.hostid.includes(event.hostid)))
      .filter((t) => !t.filter.operation || (event.operation !== undefined && t.filter.operation.includes(event.operation)))
      .map((t) => t.name);
}
