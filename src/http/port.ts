import type { PluginListing } from '../plugins/index.js';
import type { BatchState, InsertResult, OperatorResult, Reply, Store } from '../store/index.js';

export type { PluginListing };

/** The store queries the HTTP API reads with; it never writes through them. */
export type ReadStore = Pick<Store, 'listBatches' | 'batchDetail' | 'messages' | 'batchMessages' | 'replies'>;

/** What storing a submitted batch did. */
export interface SubmitOutcome {
  result: InsertResult;
  batch: string;
  /** The ids of its actions as submitted. */
  actions: string[];
}


/** Counts the metrics endpoint reads when scraped (each a cheap look, no store scan). */
export interface WorkGauges {
  /** Batch files in the inbox folder, not yet taken. */
  inboxFiles: number;
  /** Actions being carried out now. */
  running: number;
  /** Replies committed whose outbox file is not yet written and marked. */
  repliesUnmirrored: number;
  /** Actions by state, operation and target. */
  actions: Array<{ state: string; operation: string; hostid: string; count: number }>;
  /** Batches by state. */
  batches: Partial<Record<BatchState, number>>;
}

/**
 * Everything the HTTP API needs of the daemon, and nothing more, so that the engine and the
 * store can change behind it: the daemon wires one of these (src/http/wiring.ts).
 */
export interface DaemonPort {
  store: ReadStore;
  /**
   * Parses, validates and stores a batch's KVGroup text, as the inbox does, and tells the
   * engine. Throws `KvgSyntaxError` or `BatchInvalidError` for a bad text.
   */
  submit(text: string, source: string): Promise<SubmitOutcome>;
  /** An operator's retry of a failed action; its effects reach the engine and the outbox. */
  retry(batchId: string, actionId: string, who: string): Promise<OperatorResult>;
  /** An operator's cancel of a batch's actions that have not started. */
  cancel(batchId: string, who: string): Promise<OperatorResult>;
  plugins(): Promise<PluginListing[]>;
  gauges(): Promise<WorkGauges>;
}

/** Wakes the replies feed: called with replies once they are committed. */
export type ReplyListener = (replies: readonly Reply[]) => void;
