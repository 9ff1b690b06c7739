import { readBatch } from '../../src/batch/index.js';
import { quote } from '../../src/kvgroup/index.js';
import { MASK } from '../../src/redact.js';
import { fixtureHost, withPassword } from './fixture-host.js';

/*
 * Passwords a plugin quotes (issue 13 item 10) are masked in the outcome message, the log lines
 * relayed from the plugin and an executable's stderr. A unique password is planted, with a
 * quote and a backslash so that its JSON- and KVGroup-escaped forms differ from it, and every
 * string produced is searched for each form.
 */

const PASSWORD = `Pw-${process.pid}-"q"\\z`;
const FORMS = [PASSWORD, JSON.stringify(PASSWORD).slice(1, -1), quote(PASSWORD).slice(1, -1), 'Pw-' + process.pid];

describe('a plugin that quotes the password', () => {
  const { host, logger, stillServes } = fixtureHost();
  afterAll(() => host.close());

  /** Every string the rewrite produced: the outcome's, and each log line's message and meta. */
  const rewrite = async (plugin: string): Promise<string[]> => {
    logger.lines.length = 0;
    const batch = readBatch(withPassword('B', PASSWORD))!;
    const [outcome] = await host.rewriteBatch(batch, [plugin]);
    expect(outcome!.kind).toBe('plugin-error');
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
    };
    walk({ outcome, lines: logger.lines });
    return strings;
  };
  const expectMasked = (said: string[]): void => {
    for (const s of said) for (const form of FORMS) expect(s).not.toContain(form);
    expect(said.join('\n')).toContain(MASK);
  };

  test('throws it, logs it and prints it: masked in the outcome and every relayed line', async () => {
    const said = await rewrite('throws-password');
    expectMasked(said);
    expect(said).toContain(`action B_0: plugin throws-password threw: directory refused password ${MASK}; primary action kept as submitted`);
    expect(said).toContain(`console says ${MASK}`);
    expect(said).toContain(`about to fail for ${MASK}`);
    await stillServes();
  });

  test('returns it as retval: masked in the outcome', async () => {
    const said = await rewrite('retval-password');
    expectMasked(said);
    expect(said).toContain(`action B_0: plugin retval-password returned retval "rejected ${MASK}"; primary action kept as submitted`);
    await stillServes();
  });

  test('an executable writes it on stderr: masked in the outcome and the stderr lines', async () => {
    const said = await rewrite('exec-password');
    expectMasked(said);
    expect(said).toContain(`plugin stderr: cannot set         "newpw" = "${MASK}"`);
    await stillServes();
  });
});
