import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBatch } from '../../src/batch/index.js';
import { normaliseConfig } from '../../src/config/index.js';
import { findGroup, getValue, parseKvg } from '../../src/kvgroup/index.js';
import { PluginHost, PluginRegistry } from '../../src/plugins/index.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';
import { recordingLogger } from '../helpers/logger.js';

const batch = () => readBatch(parseKvg('"" "" = { "batch" "B" = { "action" "B_0" = { operation = NOOP hostid = H replyid = r } } }')[0]!)!;

/** A plugin that stamps `generation` into the action's attributes. */
const stamping = (generation: string, format: 'esm' | 'cjs' = 'esm') => {
  const body = `{ rewrite(input) {
    const b = input.members.find((m) => m.type === 'batch');
    b.members[0].members.push({ type: 'attributes', name: '', members: [{ key: 'generation', value: ${JSON.stringify(generation)} }] });
    return { ...input, members: [{ key: 'changed', value: 'true' }, { key: 'retval', value: '0' }, ...input.members] };
  } }`;
  return format === 'esm' ? `export default ${body};\n` : `module.exports = ${body};\n`;
};

describe('plugin registry', () => {
  test('finds JS modules, interpreted and executable files; ignores _helpers, .partial and plain files', () => {
    const reg = new PluginRegistry(join(ROOT, 'test', 'fixtures', 'plugins'), { '.py': 'python3', '.sh': 'sh' });
    const byName = Object.fromEntries(reg.list().map((e) => [e.name, e]));
    expect(byName.identity).toMatchObject({ kind: 'js', moduleFormat: 'esm' });
    expect(byName.commonjs).toMatchObject({ kind: 'js', moduleFormat: 'cjs' });
    expect(byName.interpreted).toMatchObject({ kind: 'executable', interpreter: 'python3' });
    expect(byName['exec-fails']).toMatchObject({ kind: 'executable', interpreter: 'sh' });
    expect(byName._verdict).toBeUndefined();
    expect(byName['not-a-plugin']).toBeUndefined();
  });

  test('an executable without an interpreter mapping runs when it has the run bit, and not otherwise', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'tool'), '#!/bin/sh\n');
      const reg = new PluginRegistry(dir.path, {});
      expect(reg.get('tool')).toBeUndefined();
      chmodSync(join(dir.path, 'tool'), 0o755);
      expect(reg.get('tool')).toMatchObject({ kind: 'executable' });
      expect(reg.get('tool')?.interpreter).toBeUndefined();
    } finally {
      dir.cleanup();
    }
  });

  test('two files with one name are both refused with a load error that says why', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'twice.mjs'), stamping('1'));
      writeFileSync(join(dir.path, 'twice.py'), '');
      const entry = new PluginRegistry(dir.path, { '.py': 'python3' }).get('twice');
      expect(entry?.error).toMatch(/^2 files are named twice: twice\.(mjs|py), twice\.(py|mjs); rename all but one$/);
    } finally {
      dir.cleanup();
    }
  });

  test('a missing folder is reported, not thrown', () => {
    const reg = new PluginRegistry('/no/such/plugins', {});
    expect(reg.list()).toEqual([]);
    expect(reg.folderError).toBe('plugins folder /no/such/plugins: does not exist');
  });
});

describe('hot reload: plugins come, change and go without a restart', () => {
  test.each(['esm', 'cjs'] as const)('%s: a replaced file is used by the very next call', async (format) => {
    const dir = tempDir();
    const ext = format === 'esm' ? 'mjs' : 'cjs';
    const host = new PluginHost(normaliseConfig({ pluginsDir: dir.path, pluginThreads: 1 }, dir.path), recordingLogger());
    const generation = async (): Promise<string | undefined> => {
      const b = batch();
      const outcome = await host.rewrite(b, b.actions[0]!, ['stamp']);
      const action = outcome.kind === 'rewritten' ? outcome.actions[0] : outcome.kind === 'unchanged' ? b.actions[0]!.group : undefined;
      return action && findGroup(action, 'attributes') ? getValue(findGroup(action, 'attributes')!, 'generation') : outcome.kind;
    };
    try {
      expect(await generation()).toBe('plugin-error'); // not there yet
      writeFileSync(join(dir.path, `stamp.${ext}`), stamping('first', format));
      expect(await generation()).toBe('first');
      // Changed in place…
      writeFileSync(join(dir.path, `stamp.${ext}`), stamping('second', format));
      expect(await generation()).toBe('second');
      // …and replaced atomically, as a deploy would.
      writeFileSync(join(dir.path, `.stamp.${ext}.tmp`), stamping('third!', format));
      renameSync(join(dir.path, `.stamp.${ext}.tmp`), join(dir.path, `stamp.${ext}`));
      expect(await generation()).toBe('third!');
      rmSync(join(dir.path, `stamp.${ext}`));
      expect(await generation()).toBe('plugin-error');
    } finally {
      await host.close();
      dir.cleanup();
    }
  });
});
