export { triggersFor } from './matcher.js';
export { renderPayload, sampleEvent } from './payload.js';
export { TriggerRunner, runTriggerScript, type ScriptOutcome } from './runner.js';
