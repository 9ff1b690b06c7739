import type { EventType } from '../events.js';

export type OnPluginError = 'primary' | 'fail';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export type ConnectorKind = 'directory' | 'script';

/** One target (hostid) as the engine sees it, with `"*"` and the defaults filled in. */
export interface TargetConfig {
  connector: ConnectorKind;
  concurrency: number;
  retry: RetryPolicy;
  /** Script connector: the program, its arguments and its time limit. */
  script?: string;
  args: string[];
  timeoutMs: number;
}

export type TargetOverrides = Partial<Omit<TargetConfig, 'retry'>> & { retry?: Partial<RetryPolicy> };

export type PayloadFormat = 'kvgroup' | 'json' | 'xml';

/** A script run when an event happens (contract §8). */
export interface TriggerConfig {
  /** What `tmon triggers test NAME` calls it: given, or the script's file name without extension. */
  name: string;
  event: EventType;
  script: string;
  args: string[];
  format: PayloadFormat;
  /** Only events about these targets or operations (an event without the field does not match). */
  filter: { hostid?: string[]; operation?: string[] };
  timeoutMs: number;
}

/** Sizes past which input is refused rather than held in memory. */
export interface Limits {
  /** An inbox file larger than this is rejected unread. */
  batchBytes: number;
  /** A batch with more actions is rejected. */
  actionsPerBatch: number;
  /** A plugin output with more actions than the primary plus this many is a plugin failure. */
  fannedPerAction: number;
  /** A plugin output larger than this (KVGroup text, or JSON once serialised) is a plugin failure. */
  pluginOutputBytes: number;
}

export interface Config {
  /** Absolute path of the plugins folder. */
  pluginsDir: string;
  /** The plugins applied to every action, in order; empty: actions run as submitted. */
  rewritePlugin: string[];
  /** `pluginOptions.<name>` reaches plugin `<name>` as `context.options`. */
  pluginOptions: Record<string, unknown>;
  pluginTimeoutMs: number;
  pluginMemoryMb: number;
  /** Worker threads for JS plugins. */
  pluginThreads: number;
  /** Resident memory of the plugin-host process (all JS plugin workers together); past it the host is killed and restarted. */
  pluginHostMemoryMb: number;
  onPluginError: OnPluginError;
  /** File extension (with its dot) → the program that runs such a plugin. */
  interpreters: Record<string, string>;
  /** Per hostid (or `"*"` for all) connector settings; see `targetFor`. */
  targets: Record<string, TargetOverrides>;
  retry: RetryPolicy;
  replies: { mode: 'action' | 'tree' };
  /** How often the inbox is swept besides watching it (a watcher can miss events). */
  inboxSweepMs: number;
  /** How long SIGTERM waits for running actions before closing. */
  shutdownGraceMs: number;
  /** Most actions running at once, all targets together. */
  maxRunning: number;
  /** SQLite `synchronous`: FULL (every commit on disk) or NORMAL (faster; a power cut may lose the last commits). */
  storeSync: 'FULL' | 'NORMAL';
  triggers: TriggerConfig[];
  /** Trigger scripts running at once. */
  triggerConcurrency: number;
  /** Waits between a trigger's tries; one more try than waits (default: 5 tries). */
  triggerRetryDelaysMs: number[];
  limits: Limits;
  /** The config file read, if any. */
  file?: string;
}

