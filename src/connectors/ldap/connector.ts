import type { Client } from 'ldapts';
import type { Connector, ConnectorRequest, ConnectorResult } from '../../engine/connector.js';
import { ConnectorError } from '../../engine/connector.js';
import { ldapError } from './errors.js';
import { KeyedLock } from './locks.js';
import { OPERATIONS } from './operations.js';
import { LdapPool } from './pool.js';
import { isUnder } from './names.js';
import { LdapSession, readServerInfo, type ServerInfo } from './session.js';
import type { LdapSettings } from './settings.js';

/**
 * The ldap connector: contract §2's operations against a real LDAP server (docs/ldap.md), on a
 * small pool of bound connections per target. Operations on one account run one at a time, so
 * group memberships follow a move or rename whatever order fanned actions run in.
 */
export class LdapConnector implements Connector {
  readonly kind = 'ldap';
  private readonly pool: LdapPool;
  private readonly locks = new KeyedLock();
  private info: Promise<ServerInfo> | undefined;

  constructor(readonly settings: LdapSettings) {
    this.pool = new LdapPool(settings);
  }

  async execute(req: ConnectorRequest): Promise<ConnectorResult> {
    const a = req.action;
    const op = a.pairs.operation ?? '';
    const operation = OPERATIONS[op];
    if (!operation) throw new ConnectorError('UNSUPPORTED_OPERATION', `the ldap connector does not implement ${op}`);
    const userid = a.pairs.userid ?? '';
    const keys = [userid, ...(op === 'RENU' ? [a.attributes.newuserid ?? ''] : [])].filter(Boolean);
    return this.locks.with(keys, () =>
      this.pool.use(async (client) => {
        const info = await this.serverInfo(client);
        const session = new LdapSession(client, this.settings, baseOf(this.settings.usersDn, info));
        return operation({ session, action: a, settings: this.settings, info, userid, groupid: a.pairs.groupid ?? '', mayBeDone: req.recovery || req.attempt > 1 });
      }),
    );
  }

  /** Runs `fn` on a bound connection with what the server says of itself (for `tmon targets test`). */
  async probe<T>(fn: (session: LdapSession, info: ServerInfo) => Promise<T>): Promise<T> {
    return this.pool.use(async (client) => {
      const info = await this.serverInfo(client);
      return fn(new LdapSession(client, this.settings, baseOf(this.settings.usersDn, info)), info);
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private serverInfo(client: Client): Promise<ServerInfo> {
    this.info ??= readServerInfo(client).catch((err: unknown) => {
      this.info = undefined;
      throw ldapError(err, `target ${this.settings.hostid}: read the root DSE`, this.settings.url);
    });
    return this.info;
  }
}

/** The naming context that holds usersDn (moved accounts and groups are searched for there); usersDn itself if none does. */
export function baseOf(usersDn: string, info: ServerInfo): string {
  const holding = info.namingContexts.filter((nc) => nc !== '' && isUnder(usersDn, nc));
  return holding.sort((x, y) => y.length - x.length)[0] ?? usersDn;
}
