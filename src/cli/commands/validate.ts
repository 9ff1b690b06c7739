import type { Command } from 'commander';
import type { Problem } from '../../batch/index.js';
import { hasCode } from '../../errors.js';
import { readInput } from '../input.js';
import { QuietExit } from '../exit-codes.js';
import { printable } from '../format.js';
import { writeOut } from '../output.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('parse and validate a batch file; print each problem on its own line')
    .argument('<file>', 'the batch file (KVGroup), or - for standard input')
    .option('--json', 'print the problems as a JSON array of {batch, action, code, message, line?, column?}')
    .addHelpText('after', '\nExit codes: 0 valid; 65 syntax error or invalid batch; 66 no such file.')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { text, source } = await readInput(file);
      // The parser and the validator (ajv) load here, not for `tmon --help`.
      const [{ BatchInvalidError, problemLine, validateDocument }, { parseKvg }] = await Promise.all([import('../../batch/index.js'), import('../../kvgroup/index.js')]);
      let problems: Problem[];
      let summary = '';
      try {
        const { batch, problems: found } = validateDocument(parseKvg(text, { source, positions: true }));
        problems = found;
        if (batch) summary = `${source}: batch ${batch.id} is valid (${batch.actions.length} action${batch.actions.length === 1 ? '' : 's'})\n`;
      } catch (err) {
        // A syntax error is this file's one problem; in JSON it is listed like the others.
        if (!opts.json || !hasCode(err) || !err.code.startsWith('KVG_')) throw err;
        problems = [{ batch: null, action: null, code: err.code as Problem['code'], message: err.message }];
      }
      if (opts.json) await writeOut(`${JSON.stringify(problems, null, 2)}\n`);
      else await writeOut(problems.length === 0 ? summary : problems.map((p) => `${printable(problemLine(p, source))}\n`).join(''));
      if (problems.length > 0) {
        // The problems are already printed; only the exit code is left.
        throw new QuietExit(new BatchInvalidError(problems, source));
      }
    });
}
