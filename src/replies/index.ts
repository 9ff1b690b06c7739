export { Outbox, OUTBOX_BACKLOG_LIMIT, replyDocument, replyFileName, groupFileName, type OutboxFiles } from './outbox.js';
