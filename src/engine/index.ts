export { Engine, type EngineOptions, type ReplySink } from './engine.js';
export { Inbox, type InboxOptions } from './inbox.js';
export { prepareBatch, actionRecord } from './ingest.js';
export { Rewriter, batchAround } from './rewriter.js';
export { dryRunRewrite } from './dry-run.js';
export { retryDelay } from './backoff.js';
export * from './connector.js';
export { CommandRunner, COMMAND_POLL_MS } from './commands.js';
