export { Outbox, OUTBOX_BACKLOG_LIMIT, replyDocument, replyFileName } from './outbox.js';
