import type { Command } from 'commander';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../../errors.js';
import type { Problem } from '../../batch/index.js';
import { homeLayout } from '../../home.js';
import { isKeyedDigest } from '../../secrets/index.js';
import { TmonError } from '../../errors.js';
import { lenientConfig } from '../cli-config.js';
import { existingHome, withReadStore, type GlobalOptions } from '../context.js';
import { EXIT, exitCodeFor, QuietExit } from '../exit-codes.js';
import { readInput, type InputText } from '../input.js';
import { printable } from '../format.js';
import { writeOut } from '../output.js';

/** A file name for a batch in the inbox: its id, made safe, and new. */
function inboxName(dir: string, batchId: string): string {
  const base = batchId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_').slice(0, 120) || 'batch';
  let name = `${base}.kvg`;
  for (let n = 1; existsSync(join(dir, name)); n++) name = `${base}.${n}.kvg`;
  return name;
}

export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .description('validate batch files and put them into the inbox (works while the daemon is down); prints the batch ids')
    .argument('<files...>', 'batch files (KVGroup)')
    .option('--json', 'print a JSON array of {file, batch, inbox} for the files taken (inbox null: a duplicate, already held)')
    .addHelpText(
      'after',
      '\nEach file is written into the inbox atomically. A file that does not parse or validate, or\nwhose batch id is already held with other content, is refused with its problems on stderr and\nthe others still go. A batch already held with the same content is a duplicate: said on\nstderr, its id printed, nothing written (so a script may resubmit safely).\nExit codes: 0 all taken or already held; 65 some refused; 66 some not found.',
    )
    .action(async (files: string[], opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      // The parser and the validator load here, not for `tmon --help`; prepareBatch from its own
      // module: the engine's index would load the whole engine (executor, plugin host, winston).
      const [{ placedProblems, problemLine }, { prepareBatch }] = await Promise.all([import('../../batch/index.js'), import('../../engine/ingest.js')]);
      const home = homeLayout(existingHome(globals, true));
      // The inbox the config names (shared by several daemons, say), else the home's.
      const layout = { inbox: lenientConfig(globals).inbox ?? home.inbox };
      mkdirSync(layout.inbox, { recursive: true });
      const taken: Array<{ file: string; batch: string; inbox: string | null }> = [];
      let worst: number = EXIT.OK;
      // Progress on a terminal (TMON_PROGRESS=1 forces it), on stderr so stdout stays the ids.
      const progress = files.length > 1 && (process.stderr.isTTY === true || process.env.TMON_PROGRESS === '1');
      await withReadStore(globals, async (store) => {
        for (const [i, file] of files.entries()) {
          if (progress) process.stderr.write(`\rsubmitting ${i + 1}/${files.length} ${file.slice(-40).padEnd(40)}`);
          let input: InputText | undefined;
          try {
            input = await readInput(file);
            const { text, source } = input;
            const batch = await prepareBatch(text, source, store);
            // What the daemon would do with it (contract §4): the same content again is a no-op,
            // other content under a held id is refused. Say so now rather than in `messages` later.
            // A batch holding passwords is held under a digest keyed with the daemon's secret key
            // (src/secrets): it cannot be compared here, so the file goes in and the daemon tells.
            const stored = await store?.batchDigest(batch.id);
            const held = stored !== undefined && isKeyedDigest(stored) ? undefined : stored;
            if (held !== undefined && held !== batch.digest) {
              throw new TmonError('BATCH_CONFLICT', `${file}: batch ${batch.id} is already held with other content; refused (not put into the inbox)`);
            }
            if (held !== undefined) {
              process.stderr.write(`tmon: ${file}: batch ${batch.id} was already received with the same content; nothing to do\n`);
              taken.push({ file, batch: batch.id, inbox: null });
              if (!opts.json) await writeOut(`${batch.id}\n`);
              continue;
            }
            const name = inboxName(layout.inbox, batch.id);
            const tmp = join(layout.inbox, `.${name}.tmp`);
            writeFileSync(tmp, text);
            renameSync(tmp, join(layout.inbox, name));
            taken.push({ file, batch: batch.id, inbox: join(layout.inbox, name) });
            if (!opts.json) await writeOut(`${batch.id}\n`);
          } catch (err) {
            const found = (err as { problems?: Problem[] }).problems;
            const problems = found && input ? placedProblems(found, input.text, input.source) : found;
            const lines = problems?.length ? problems.map((p) => problemLine(p, file)) : [(err as Error).message];
            for (const l of lines) process.stderr.write(`tmon: ${printable(l)}\n`);
            if (!hasCode(err)) throw err;
            worst = Math.max(worst, exitCodeFor(err));
          }
        }
      }, { optional: true });
      if (progress) process.stderr.write(`\rsubmitted ${taken.length} of ${files.length} file(s)${' '.repeat(40)}\n`);
      if (opts.json) await writeOut(`${JSON.stringify(taken, null, 2)}\n`);
      if (worst !== EXIT.OK) {
        throw new QuietExit(new TmonError(worst === EXIT.NO_INPUT ? 'CLI_NO_INPUT' : 'BATCH_REFUSED', 'some files were not taken'));
      }
    });
}
