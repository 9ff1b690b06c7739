/**
 * The events tmon raises (contract §8). They live apart from the store and the config so that
 * both, and the trigger runner, can name them without importing each other.
 */
export const EVENT_TYPES = [
  'batch.received',
  'batch.rejected',
  'action.rewritten',
  'action.succeeded',
  'action.failed',
  'action.skipped',
  'action.retrying',
  'action.canceled',
  'batch.completed',
  'batch.canceled',
  'plugin.failed',
  'action.retried',
  'batch.resubmitted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
