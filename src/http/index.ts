export { HttpApi } from './server.js';
export type { DaemonPort, PluginListing, SubmitOutcome, WorkGauges } from './port.js';
export { startHttp, type HttpHandle } from './start.js';
