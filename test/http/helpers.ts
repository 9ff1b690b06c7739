import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';

export const TOKENS = {
  wf: 'wf-token-0123456789abcdef',
  reader: 'reader-token-0123456789abcdef',
  ops: 'ops-token-0123456789abcdef',
};

export const HTTP_TOKENS = [
  { name: 'wf', token: TOKENS.wf, roles: ['submit', 'read'] },
  { name: 'reader', token: TOKENS.reader, roles: ['read'] },
  { name: 'ops', token: TOKENS.ops, roles: ['read', 'operate'] },
];

export interface ApiDaemon {
  daemon: DaemonProcess;
  home: string;
  base: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * A shell script target that waits until its first argument exists (a test opens the gate),
 * after touching `<gate>.started`, so a test can hold an action running for as long as it needs.
 */
export function gateScript(dir: string): { script: string; gate: string } {
  const script = join(dir, 'gated.sh');
  const gate = join(dir, 'gate');
  writeFileSync(script, '#!/bin/sh\ntouch "$1.started"\nwhile [ ! -e "$1" ]; do sleep 0.02; done\necho "opened"\n');
  chmodSync(script, 0o755);
  return { script, gate };
}

/** Starts the real daemon with the HTTP API on a free loopback port; resolves once it listens. */
export async function startApiDaemon(home: string, config: Record<string, unknown> = {}, http: Record<string, unknown> = {}): Promise<ApiDaemon> {
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 200, ...config, http: { listen: '127.0.0.1:0', tokens: HTTP_TOKENS, ...http } }));
  const daemon = spawnDaemon(['--home', home]);
  const base = await waitFor('the http api to listen', () => {
    const m = /http api listening on (http:\/\/[^"\s]+)/.exec(daemon.output());
    if (!m && daemon.child.exitCode !== null) throw new Error(`daemon exited: ${daemon.output()}`);
    return m?.[1];
  });
  return {
    daemon,
    home,
    base,
    stop: async () => {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
      return daemon.exited;
    },
  };
}

/** A request to the API with a token by name (none: no Authorization header). */
export async function call(base: string, path: string, options: { token?: keyof typeof TOKENS; method?: string; body?: string | object; type?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${TOKENS[options.token]}`;
  let body: string | undefined;
  if (typeof options.body === 'string') {
    body = options.body;
    headers['content-type'] = options.type ?? 'text/plain';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = options.type ?? 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (metrics): the text itself.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** One Server-Sent Event. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads a Server-Sent Events stream, event by event. */
export async function openStream(url: string, headers: Record<string, string>): Promise<{ next: () => Promise<SseEvent>; close: () => void; status: number }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (): Promise<SseEvent> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const ev: SseEvent = { data: '' };
        let isComment = true;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          isComment = false;
          const at = line.indexOf(':');
          const field = at < 0 ? line : line.slice(0, at);
          const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
          if (field === 'id') ev.id = value;
          else if (field === 'event') ev.event = value;
          else if (field === 'data') ev.data += value;
        }
        if (!isComment) return ev;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
  return { next, close: () => abort.abort(), status: res.status };
}

/** A metric's value in Prometheus text, or undefined when the series is absent. */
export function metric(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
