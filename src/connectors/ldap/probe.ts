import { EqualityFilter, OrFilter, PresenceFilter, type Filter } from 'ldapts';
import type { LdapConnector } from './connector.js';
import type { LdapSession } from './session.js';

/** What `tmon targets test` reports of an ldap target: the bind worked, and what the bound identity sees. */
export interface LdapProbe {
  url: string;
  bindDn: string;
  bound: true;
  vendor: string;
  namingContexts: string[];
  /** Where moved accounts and groups are searched for. */
  base: string;
  passwordModify: boolean;
  users: ContainerProbe;
  groups: ContainerProbe | null;
}

export interface ContainerProbe {
  dn: string;
  exists: boolean;
  /** The first few entries found under it (a sample search). */
  sample: string[];
}

const SAMPLE = 5;

async function container(session: LdapSession, dn: string, filter: Filter): Promise<ContainerProbe> {
  const exists = (await session.read(dn, ['1.1'])) !== undefined;
  const sample = exists ? (await session.search(dn, filter, ['1.1'], SAMPLE)).map((e) => e.dn) : [];
  return { dn, exists, sample };
}

/** Binds to the target, reads its root DSE, and looks at usersDn and groupsDn. Throws the bind's error when it cannot bind. */
export async function probeLdap(connector: LdapConnector): Promise<LdapProbe> {
  const s = connector.settings;
  return connector.probe(async (session, info) => ({
    url: s.url,
    bindDn: s.bindDn,
    bound: true,
    vendor: info.vendor,
    namingContexts: info.namingContexts,
    base: session.base,
    passwordModify: info.passwordModify,
    users: await container(session, s.usersDn, new PresenceFilter({ attribute: s.userRdn })),
    groups: s.groupsDn
      ? await container(session, s.groupsDn, new OrFilter({ filters: ['groupOfNames', 'groupOfUniqueNames'].map((value) => new EqualityFilter({ attribute: 'objectClass', value })) }))
      : null,
  }));
}
