import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBatch, type Batch } from '../../src/batch/index.js';
import { normaliseConfig, type Config } from '../../src/config/index.js';
import { findGroup, getValue, parseKvg, type KvGroup } from '../../src/kvgroup/index.js';
import { Rewriter } from '../../src/engine/index.js';
import { PluginHost, type RewriteOutcome } from '../../src/plugins/index.js';
import { ROOT } from '../helpers/cli.js';
import { recordingLogger } from '../helpers/logger.js';

const FIXTURE_PLUGINS = join(ROOT, 'test', 'fixtures', 'plugins');

const config = (extra: Record<string, unknown> = {}): Config =>
  normaliseConfig({ pluginsDir: FIXTURE_PLUGINS, pluginTimeoutMs: 1500, pluginMemoryMb: 32, pluginThreads: 1, ...extra }, ROOT);

const deluBatch = (): Batch => readBatch(parseKvg(readFileSync(join(ROOT, 'fixtures', 'delu-input.kvg'), 'utf8'))[0]!)!;

describe('plugin host: one fixture plugin per failure mode, and the pool keeps serving', () => {
  const logger = recordingLogger();
  let host: PluginHost;
  beforeAll(() => {
    host = new PluginHost(config(), logger);
  });
  afterAll(() => host.close());

  const rewrite = (plugin: string): Promise<RewriteOutcome> => {
    const batch = deluBatch();
    return host.rewrite(batch, batch.actions[0]!, [plugin]);
  };
  /** After a failure, the same host (and so the same pool) must still serve a good plugin. */
  const stillServes = async (): Promise<void> => {
    const after = await rewrite('identity');
    expect(after.kind).toBe('rewritten');
  };

  const A = 'action 20070503-113234-00_0';
  const CASES: Array<[string, RewriteOutcome['kind'], string, string]> = [
    ['throws', 'plugin-error', 'PLUGIN_THREW', `${A}: plugin throws threw: the directory said no; primary action kept as submitted`],
    ['hangs', 'plugin-error', 'PLUGIN_TIMEOUT', `${A}: plugin hangs timed out after 1500 ms; primary action kept as submitted`],
    ['exits', 'plugin-error', 'PLUGIN_CRASHED', ''],
    ['eats-memory', 'plugin-error', 'PLUGIN_OUT_OF_MEMORY', `${A}: plugin eats-memory ran out of memory (the heap limit is pluginMemoryMb); primary action kept as submitted`],
    ['garbage', 'plugin-error', 'PLUGIN_BAD_OUTPUT', `${A}: plugin garbage wrote text that does not parse: stdout:1:9: expected "=" but found "}"; primary action kept as submitted`],
    ['bad-text', 'plugin-error', 'PLUGIN_BAD_OUTPUT', ''],
    ['non-document', 'plugin-error', 'PLUGIN_BAD_OUTPUT', `${A}: plugin non-document returned something that is not a document: output is not a group: it has no "members" array; primary action kept as submitted`],
    ['exec-fails', 'plugin-error', 'PLUGIN_EXIT_NONZERO', `${A}: plugin exec-fails exited with code 4: cannot reach the HR database; primary action kept as submitted`],
    ['exec-hangs', 'plugin-error', 'PLUGIN_TIMEOUT', `${A}: plugin exec-hangs timed out after 1500 ms; primary action kept as submitted`],
    ['retval', 'plugin-error', 'PLUGIN_RETVAL', `${A}: plugin retval returned retval "3"; primary action kept as submitted`],
    ['no-rewrite', 'plugin-error', 'PLUGIN_LOAD', `${A}: plugin no-rewrite cannot load: the module has no default export with a rewrite(input, context) function; primary action kept as submitted`],
    ['missing', 'plugin-error', 'PLUGIN_NOT_FOUND', `${A}: plugin missing no plugin named missing in ${FIXTURE_PLUGINS}; primary action kept as submitted`],
    ['changes-batch-id', 'invalid-output', 'REWRITE_BATCH_CHANGED', ''],
    ['reuses-replyid', 'invalid-output', 'REWRITE_REPLYID_INVENTED', ''],
    ['fans-out-cycle', 'invalid-output', 'BATCH_CYCLE', `${A}: plugin fans-out-cycle output breaks a rule: action 20070503-113234-00_0.x: dependency cycle: 20070503-113234-00_0.x -> 20070503-113234-00_0.y -> 20070503-113234-00_0.x; action failed`],
    ['drops-primary', 'removed', '', `${A}: removed by plugin drops-primary, nothing fanned out; reported as success`],
    ['unchanged', 'unchanged', '', `${A}: plugin unchanged left it unchanged; runs as submitted`],
  ];

  test.each(CASES)('%s → %s %s', async (plugin, kind, code, message) => {
    const outcome = await rewrite(plugin);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === 'plugin-error') expect(outcome.code).toBe(code);
    if (outcome.kind === 'invalid-output') expect(outcome.problems.map((p) => p.code)).toContain(code);
    if (message) expect(outcome.message).toBe(message);
    expect(outcome.message).toMatch(/^action 20070503-113234-00_0: /);
    await stillServes();
  });

  test('a plugin error keeps the primary as submitted; "unchanged" too; "removed" runs nothing; a broken rule fails it (the engine\'s decisions)', async () => {
    // The one outcome table is the rewrite step's (src/engine/rewriter.ts): what the store is told.
    const decide = async (plugin: string) => {
      const c = config({ rewritePlugin: plugin });
      const h = new PluginHost(c, recordingLogger());
      try {
        const [d] = await new Rewriter({ knownActions: async () => new Set<string>() }, h, c, recordingLogger()).decideBatch(deluBatch());
        return d!.outcome;
      } finally {
        await h.close();
      }
    };
    expect(await decide('throws')).toBe('run');
    expect(await decide('unchanged')).toBe('run');
    expect(await decide('drops-primary')).toBe('removed');
    expect(await decide('fans-out-cycle')).toBe('fail');
  });

  test('a plugin that returns KVGroup text is parsed', async () => {
    const outcome = await rewrite('text-output');
    expect(outcome.kind).toBe('rewritten');
    const [action] = outcome.kind === 'rewritten' ? outcome.actions : [];
    expect(getValue(action!, 'operation')).toBe('NOOP');
  });

  test('a CommonJS plugin loads', async () => {
    expect((await rewrite('commonjs')).kind).toBe('unchanged');
  });
});

describe('plugin host: options, context, logging, policy, chains', () => {
  test('pluginOptions reach the plugin as context.options, with its name and ids; its log lines are tagged', async () => {
    const logger = recordingLogger();
    const host = new PluginHost(config({ pluginOptions: { options: { groups: ['a', 'b'] } } }), logger);
    try {
      const batch = deluBatch();
      const outcome = await host.rewrite(batch, batch.actions[0]!, ['options']);
      const attrs = findGroup(outcome.kind === 'rewritten' ? outcome.actions[0]! : batch.actions[0]!.group, 'attributes')!;
      expect(getValue(attrs, 'options')).toBe('{"groups":["a","b"]}');
      expect(getValue(attrs, 'ids')).toBe('options 20070503-113234-00 20070503-113234-00_0');
      expect(logger.lines).toContainEqual({
        level: 'warn',
        message: 'options plugin was here',
        meta: { seen: 1, plugin: 'options', batch: '20070503-113234-00', action: '20070503-113234-00_0' },
      });
    } finally {
      await host.close();
    }
  });

  test('an executable gets a minimal environment, with its options as JSON and its ids', async () => {
    process.env.TMON_TEST_SECRET = 'must-not-leak';
    const host = new PluginHost(config({ pluginOptions: { 'exec-env': { n: 1 } } }), recordingLogger());
    try {
      const batch = deluBatch();
      const run = await host.runPlugin('exec-env', batch.root, { batchId: 'B-9', actionId: 'B-9_0' });
      expect(run.ok).toBe(true);
      const action = findGroup(findGroup(run.ok ? run.output : batch.root, 'batch', 'B-9')!, 'action', 'B-9_0')!;
      const attrs = findGroup(action, 'attributes')!;
      expect(getValue(attrs, 'options')).toBe('{"n":1}');
      expect(getValue(attrs, 'plugin')).toBe('exec-env');
      expect(getValue(attrs, 'secret')).toBe('unset');
    } finally {
      delete process.env.TMON_TEST_SECRET;
      await host.close();
    }
  });

  test('onPluginError "fail" fails the action instead of running it as submitted', async () => {
    const host = new PluginHost(config({ onPluginError: 'fail' }), recordingLogger());
    try {
      const batch = deluBatch();
      const outcome = await host.rewrite(batch, batch.actions[0]!, ['throws']);
      expect(outcome.message).toBe('action 20070503-113234-00_0: plugin throws threw: the directory said no; action failed');
      expect(outcome).toMatchObject({ kind: 'plugin-error', policy: 'fail' });
    } finally {
      await host.close();
    }
  });

  test('a chain: each output is the next input; a failure anywhere applies to the whole chain', async () => {
    const host = new PluginHost(
      config({ pluginsDir: join(ROOT, 'plugins'), pluginOptions: { 'terminate-disable': { groups: ['G1'] }, 'disabled-ou': { context: 'OU=Gone' } } }),
      recordingLogger(),
    );
    try {
      const batch = deluBatch();
      const chained = await host.rewrite(batch, batch.actions[0]!, ['terminate-disable', 'interactive-password']);
      expect(chained.kind).toBe('rewritten');
      if (chained.kind === 'rewritten') {
        expect(chained.plugins).toEqual(['terminate-disable']); // the second changed nothing (no ACHG)
        expect(chained.actions.map((a) => `${a.name} ${getValue(a, 'operation')}`)).toEqual(['20070503-113234-00_0 DNAU', '20070503-113234-00_0.1 GRUD']);
      }
      const broken = await host.rewrite(batch, batch.actions[0]!, ['terminate-disable', 'missing-plugin']);
      expect(broken.kind).toBe('plugin-error');
      // Under "primary" (the default) the engine runs the action as submitted (see the decisions test).
      expect(broken).toMatchObject({ kind: 'plugin-error', policy: 'primary' });
    } finally {
      await host.close();
    }
  });
});

describe('the example plugins', () => {
  const host = () =>
    new PluginHost(
      config({ pluginsDir: join(ROOT, 'plugins'), pluginOptions: { 'terminate-disable': { groups: ['CN=manager,OU=CANADA,DC=yan,DC=local'] }, 'disabled-ou': { context: 'OU=Disabled,DC=yan,DC=local' } } }),
      recordingLogger(),
    );

  test('terminate-disable turns the reference DELU into the reference output (fanned ids aside)', async () => {
    const h = host();
    try {
      const batch = deluBatch();
      const outcome = await h.rewrite(batch, batch.actions[0]!, ['terminate-disable']);
      const expected = findGroup(parseKvg(readFileSync(join(ROOT, 'fixtures', 'delu-output.kvg'), 'utf8'))[0]!, 'batch')!.members as KvGroup[];
      const got = outcome.kind === 'rewritten' ? outcome.actions : [];
      expect(got.map((a) => a.name)).toEqual(['20070503-113234-00_0', '20070503-113234-00_0.1']);
      expect(got.map((a, i) => ({ ...a, name: expected[i]!.name }))).toEqual(expected);
    } finally {
      await h.close();
    }
  });
});

describe('disabled-ou', () => {
  test('DELU becomes DNAU, then MVCU into the configured OU once the disable succeeded', async () => {
    const h = new PluginHost(config({ pluginsDir: join(ROOT, 'plugins'), pluginOptions: { 'disabled-ou': { context: 'OU=Disabled,DC=yan,DC=local' } } }), recordingLogger());
    try {
      const batch = deluBatch();
      const outcome = await h.rewrite(batch, batch.actions[0]!, ['disabled-ou']);
      const got = outcome.kind === 'rewritten' ? outcome.actions : [];
      const rb = readBatch({ type: '', name: '', members: [{ type: 'batch', name: batch.id, members: got }] })!;
      expect(rb.actions.map((a) => [a.id, a.pairs.operation, a.pairs.replyid, a.attributes.context ?? '', a.depends.map((d) => d.action).join()])).toEqual([
        ['20070503-113234-00_0', 'DNAU', 'eca0000000000000ff', '', ''],
        ['20070503-113234-00_0.1', 'MVCU', '', 'OU=Disabled,DC=yan,DC=local', '20070503-113234-00_0'],
      ]);
      const noOption = new PluginHost(config({ pluginsDir: join(ROOT, 'plugins') }), recordingLogger());
      const failed = await noOption.rewrite(batch, batch.actions[0]!, ['disabled-ou']);
      await noOption.close();
      expect(failed.message).toMatch(/option "context" \(the OU to move disabled accounts to\) is required; primary action kept/);
    } finally {
      await h.close();
    }
  });
});
