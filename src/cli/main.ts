import { CommanderError } from 'commander';
import { hasCode } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';

/**
 * Runs the CLI and returns its exit code. Errors become one line on stderr (a stack trace
 * only with --verbose), and the exit code comes from the error's `code` (contract §7).
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit through here too, with their own code 0.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const verbose = argv.includes('--verbose');
    if (hasCode(err, 'CLI_QUIET_EXIT')) return exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tmon: ${message.split('\n')[0]}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
}
