import type { Command } from 'commander';
import type { KvDocument } from '../../kvgroup/index.js';
import { redact } from '../../secret-mask.js';
import { readInput } from '../input.js';
import { writeOut } from '../output.js';

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('parse a KVGroup file and print its canonical form (or, with --json, its JSON view)')
    .argument('<file>', 'the KVGroup file to read, or - for standard input')
    .option('--json', 'print the JSON view instead of the canonical form')
    .addHelpText(
      'after',
      '\nExit codes: 0 parsed; 65 syntax error (FILE:LINE:COLUMN: message on stderr); 66 no such file.',
    )
    .action(async (file: string, opts: { json?: boolean }) => {
      const { text, source } = await readInput(file);
      // The parser (Chevrotain) loads here, not for `tmon --help`.
      const { jsonView, parseKvg, printKvg } = await import('../../kvgroup/index.js');
      // Passwords never reach CLI output (a non-empty newpw prints as [redacted]).
      const doc = redact(parseKvg(text, { source })) as KvDocument;
      await writeOut(opts.json ? `${JSON.stringify(jsonView(doc), null, 2)}\n` : printKvg(doc));
    });
}
