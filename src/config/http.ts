import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { HTTP_DEFAULTS } from './defaults.js';
import type { HttpConfig, HttpRole } from './types.js';

/** The `http` section as the file writes it (the schema has checked its shape). */
export interface RawHttp {
  listen?: string;
  tokens?: Array<{ name: string; token: string; roles: HttpRole[] }>;
  tls?: { cert: string; key: string };
  insecure?: boolean;
  bodyLimitMb?: number;
  metricsAuth?: boolean;
}

/** `HOST:PORT`, `[V6]:PORT` or `:PORT` (loopback); undefined when it is none of them. */
export function parseListen(listen: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? (m[2] || '127.0.0.1');
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  return { host, port };
}

/** Whether only this machine can reach the address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Fills in the defaults; the TLS files are relative to the config file's folder. */
export function normaliseHttp(raw: RawHttp, baseDir: string): HttpConfig {
  const at = parseListen(raw.listen ?? HTTP_DEFAULTS.listen) ?? { host: '', port: 0 };
  return {
    host: at.host,
    port: at.port,
    tokens: (raw.tokens ?? []).map((t) => ({ name: t.name, token: t.token, roles: [...new Set(t.roles)] })),
    ...(raw.tls ? { tls: { cert: resolve(baseDir, raw.tls.cert), key: resolve(baseDir, raw.tls.key) } } : {}),
    insecure: raw.insecure ?? false,
    bodyLimitMb: raw.bodyLimitMb ?? HTTP_DEFAULTS.bodyLimitMb,
    metricsAuth: raw.metricsAuth ?? !isLoopback(at.host),
  };
}

/** The rules of the `http` section that the schema cannot say; each error names its key. */
export function httpRules(raw: RawHttp, http: HttpConfig): string[] {
  const errors: string[] = [];
  if (raw.listen !== undefined && !parseListen(raw.listen)) errors.push(`http.listen: "${raw.listen}" is not HOST:PORT (such as 127.0.0.1:7070 or [::1]:7070)`);
  else if (!http.tls && !http.insecure && !isLoopback(http.host)) {
    // Tokens and batches (passwords among them) would cross the network in clear.
    errors.push(`http.listen: ${http.host} is not a loopback address; configure http.tls, or set http.insecure: true to send tokens and passwords unencrypted`);
  }
  http.tokens.forEach((t, i) => {
    const first = http.tokens.findIndex((o) => o.name === t.name);
    if (first !== i) errors.push(`http.tokens[${i}].name: "${t.name}" is also the name of http.tokens[${first}]; request logs tell tokens apart by name`);
    const same = http.tokens.findIndex((o) => o.token === t.token);
    if (same !== i) errors.push(`http.tokens[${i}].token: is the same as http.tokens[${same}].token`);
    if (t.roles.length === 0) errors.push(`http.tokens[${i}].roles: grants nothing; name at least one of submit, read, operate`);
  });
  return errors;
}
