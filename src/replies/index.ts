export { Outbox, replyDocument, replyFileName } from './outbox.js';
