import type { OperatorCommand, OperatorResult, Store } from './types.js';

/** The commands that are changes to the store (purge and reload are the daemon's own). */
export type StoreCommand = Exclude<OperatorCommand, { kind: 'purge' | 'reload' }>;

/**
 * Carries out one operator's command on a store: what the running daemon does with a queued
 * command, and what the CLI does itself when no daemon runs. One place, so both agree.
 */
export function applyCommand(store: Store, command: StoreCommand): Promise<OperatorResult> {
  switch (command.kind) {
    case 'retry':
      return store.retryAction(command.batch, command.action, command.note);
    case 'cancel':
      return store.cancelBatch(command.batch, command.note);
    case 'cancel-action':
      return store.cancelAction(command.batch, command.action, command.note);
    case 'pause':
      return store.pauseHost(command.host, command.note);
    case 'resume':
      return store.resumeHost(command.host, command.note);
  }
}

/** What a command is about, for a log line's metadata. */
export function commandMeta(command: OperatorCommand): Record<string, string> {
  return 'host' in command ? { hostid: command.host } : { batch: command.batch };
}
