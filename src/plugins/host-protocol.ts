import type { WorkerManyResult, WorkerResult, WorkerTask } from './messages.js';

/** Daemon → plugin host: run one task. JSON over the fork IPC channel. */
export interface HostRequest {
  id: number;
  task: WorkerTask;
}

/** Plugin host → daemon: the task's result, by request id. */
export interface HostReply {
  id: number;
  result: WorkerResult | WorkerManyResult;
}
