import { Argument, type Command } from 'commander';
import { bashCompletion, zshCompletion } from '../completion.js';
import { writeOut } from '../output.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script for tmon')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText('after', '\nLoad it in the running shell with  source <(tmon completion bash)  (or zsh), or save it where\nthe shell looks: /etc/bash_completion.d/tmon, or a file _tmon in a folder of zsh\'s $fpath.')
    .action(async (shell: 'bash' | 'zsh') => {
      // `program` holds every command here (see buildProgram), so the script knows them all.
      await writeOut(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
}
