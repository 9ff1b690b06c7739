import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAction } from '../../src/batch/index.js';
import { ScriptConnector } from '../../src/connectors/index.js';
import { classify } from '../../src/engine/index.js';
import { actionGroup } from '../helpers/batches.js';
import { tempDir } from '../helpers/home.js';

describe('script connector (contract §5)', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());
  const script = (name: string, body: string): string => {
    const path = join(dir.path, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const run = async (path: string, recovery = false, timeoutMs = 5000) => {
    const c = new ScriptConnector({ script: path, args: ['--flag'], timeoutMs });
    try {
      return await c.execute({ batchId: 'B', action: readAction(actionGroup('B', { id: 'a1', op: 'DNAU', host: 'HR', user: 'ann' })), attempt: 2, recovery });
    } catch (err) {
      return { code: (err as { code: string }).code, class: classify(err), message: (err as Error).message, retval: (err as { retval: string }).retval };
    }
  };

  test('exit 0 is success; the action arrives as KVGroup on stdin, with its ids in the environment', async () => {
    const seen = join(dir.path, 'seen.kvg');
    const ok = script('ok.sh', `cat > ${seen}; echo "$1 $TMON_BATCH_ID $TMON_ACTION_ID $TMON_OPERATION $TMON_HOSTID $TMON_ATTEMPT $TMON_RECOVERY"`);
    expect(await run(ok, true)).toEqual({ retval: '0', message: '--flag B a1 DNAU HR 2 1' });
    expect(readFileSync(seen, 'utf8')).toMatch(/^"" "" = \{\n {2}"batch" "B" = \{\n {4}"action" "a1" = \{\n {6}"operation" = "DNAU"/);
  });

  test('exit 75 is transient; any other exit, or a time-out, is named', async () => {
    expect(await run(script('busy.sh', 'echo "directory busy" >&2; exit 75'))).toEqual({ code: 'SCRIPT_TEMPFAIL', class: 'transient', message: 'script asked to retry (exit 75): directory busy', retval: '75' });
    expect(await run(script('no.sh', 'echo "no such user"; exit 3'))).toEqual({ code: 'SCRIPT_FAILED', class: 'permanent', message: 'script exited with code 3: no such user', retval: '3' });
    expect(await run(script('slow.sh', 'sleep 5'), false, 200)).toMatchObject({ code: 'SCRIPT_TIMEOUT', class: 'transient', message: 'script timed out after 200 ms' });
    expect(await run(join(dir.path, 'missing.sh'))).toMatchObject({ code: 'SCRIPT_CANNOT_START', class: 'permanent' });
  });
});
