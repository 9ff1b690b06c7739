import { accessSync, constants } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { targetFor } from '../../config/target.js';
import type { LdapProbe } from '../../connectors/index.js';
import { TmonError } from '../../errors.js';
import { cliConfig } from '../cli-config.js';
import { type GlobalOptions } from '../context.js';
import { json } from '../format.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

/** What `targets test` found: the target's connector and, for ldap, what the bound identity sees. */
type TestReport = { host: string; connector: string } & ({ ldap: LdapProbe } | { script: string; executable: true } | { note: string });

async function testTarget(config: Config, host: string): Promise<TestReport> {
  const t = targetFor(config, host);
  if (t.connector === 'ldap') {
    // The LDAP client loads only to test an ldap target.
    const { LdapConnector, ldapSettings, probeLdap } = await import('../../connectors/index.js');
    const connector = new LdapConnector(ldapSettings(host, t));
    try {
      return { host, connector: t.connector, ldap: await probeLdap(connector) };
    } finally {
      await connector.close();
    }
  }
  if (t.connector === 'script') {
    try {
      accessSync(t.script!, constants.X_OK);
    } catch (err) {
      throw new TmonError('TARGET_TEST_FAILED', `target ${host}: script ${t.script} cannot be run: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return { host, connector: t.connector, script: t.script!, executable: true };
  }
  return { host, connector: t.connector, note: 'the simulated directory in the store; nothing to connect to (see tmon directory)' };
}

function describeReport(r: TestReport): string {
  if ('note' in r) return `target ${r.host}: ${r.connector}: ${r.note}\n`;
  if ('script' in r) return `target ${r.host}: script ${r.script} is there and executable\n`;
  const l = r.ldap;
  const where = (c: LdapProbe['users'], what: string): string =>
    c.exists ? `${what} ${c.dn}: found; ${c.sample.length ? `first entries: ${c.sample.join(' | ')}` : 'no entries yet'}` : `${what} ${c.dn}: NOT FOUND`;
  return [
    `target ${r.host}: ldap ${l.url}, bound as ${l.bindDn}${l.vendor ? ` (${l.vendor})` : ''}`,
    `naming contexts: ${l.namingContexts.join(' | ') || '(none listed)'}; accounts and groups searched for under ${l.base}`,
    `password modify operation: ${l.passwordModify ? 'offered (ACHG uses it)' : 'not offered (ACHG replaces userPassword)'}`,
    where(l.users, 'usersDn'),
    l.groups ? where(l.groups, 'groupsDn') : 'groupsDn: not set (every groupid must be a DN)',
    '',
  ].join('\n');
}

export function registerTargets(program: Command): void {
  const targets = program
    .command('targets')
    .description('the configured targets (hostid → connector)')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .option('--json', 'print [{host, connector, url | script}]')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = cliConfig(cmd.optsWithGlobals<GlobalOptions & { config?: string }>());
      const rows = Object.keys(config.targets).map((host) => {
        const t = targetFor(config, host);
        return { host, connector: t.connector, where: t.connector === 'ldap' ? t.url! : t.connector === 'script' ? t.script! : '' };
      });
      if (opts.json) return writeOut(json(rows));
      return writeOut(rows.length ? table(['HOST', 'CONNECTOR', 'WHERE'], rows.map((r) => [r.host, r.connector, r.where])) : 'no targets configured: every hostid uses the simulated directory\n');
    });

  targets
    .command('test')
    .description('connect to a configured target and report what it sees (for ldap: bind, base DNs, a sample search)')
    .argument('<host>', 'the hostid')
    .option('--json', 'print {host, connector, ldap: {url, bindDn, bound, vendor, namingContexts, base, passwordModify, users, groups}}')
    .action(async (host: string, opts: { json?: boolean }, cmd: Command) => {
      // `targets` itself has --json and --config too; whichever got them, they are meant here.
      const all = cmd.optsWithGlobals<GlobalOptions & { config?: string; json?: boolean }>();
      const report = await testTarget(cliConfig(all), host);
      await writeOut(opts.json || all.json ? json(report) : describeReport(report));
    });
}
