import { isIP } from 'node:net';
import { Client } from 'ldapts';
import { ConnectorError } from '../../engine/connector.js';
import { isServerAnswer, ldapError } from './errors.js';
import { bindPassword, tlsOptions, type LdapSettings } from './settings.js';

/**
 * A few bound connections to one target, reused across actions. A connection that failed at the
 * network level (the server restarted, a timeout) is dropped, not returned, so the next action
 * connects and binds afresh: that is how the pool reconnects after a server restart.
 */
export class LdapPool {
  private readonly idle: Client[] = [];
  private readonly waiting: Array<() => void> = [];
  private inUse = 0;
  private closed = false;

  constructor(private readonly s: LdapSettings) {}

  /** Runs `fn` on a bound connection of its own. */
  async use<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let healthy = true;
    try {
      return await fn(client);
    } catch (err) {
      healthy = isServerAnswer(err) && client.isConnected;
      throw err;
    } finally {
      this.release(client, healthy);
    }
  }

  /** Unbinds every connection; actions still running keep theirs until they finish. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((c) => c.unbind().catch(() => undefined)));
  }

  private async acquire(): Promise<Client> {
    const closed = () => new ConnectorError('TARGET_UNAVAILABLE', `target ${this.s.hostid}: the connector is closed`);
    if (this.closed) throw closed();
    // A released slot passes straight to the first waiter, so the pool never holds more than poolSize.
    if (this.inUse >= this.s.poolSize) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inUse++;
    if (this.closed) {
      this.release(undefined, false);
      throw closed();
    }
    // A connection the server closed while it sat idle is of no use: ldapts would reconnect it unbound.
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.isConnected) return c;
      void c.unbind().catch(() => undefined);
    }
    try {
      return await this.connect();
    } catch (err) {
      this.release(undefined, false);
      throw err;
    }
  }

  private release(client: Client | undefined, healthy: boolean): void {
    if (client) {
      if (healthy && !this.closed && client.isConnected) this.idle.push(client);
      else void client.unbind().catch(() => undefined);
    }
    const next = this.waiting.shift();
    if (next) next();
    else this.inUse--;
  }

  private async connect(): Promise<Client> {
    const s = this.s;
    const tls = s.url.startsWith('ldaps:') || s.startTls ? tlsOptions(s) : undefined;
    const client = new Client({ url: s.url, timeout: s.timeoutMs, connectTimeout: s.timeoutMs, strictDN: false, ...(tls && !s.startTls ? { tlsOptions: tls } : {}) });
    try {
      // The upgraded socket must check the certificate against the URL's host (Node would check "localhost").
      const host = new URL(s.url).hostname.replace(/^\[(.*)\]$/, '$1');
      if (s.startTls) await client.startTLS({ ...tls, host, ...(isIP(host) ? {} : { servername: host }) });
      await client.bind(s.bindDn, bindPassword(s));
      return client;
    } catch (err) {
      void client.unbind().catch(() => undefined);
      throw ldapError(err, `target ${s.hostid}: bind as ${s.bindDn}`, s.url);
    }
  }
}
