import { readFile } from 'node:fs/promises';
import { TmonError, hasCode } from '../errors.js';

export interface InputText {
  text: string;
  /** The name errors are reported under: the path as given, or `<stdin>`. */
  source: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a FILE argument; `-` is standard input. A missing file is `CLI_NO_INPUT` (exit 66). */
export async function readInput(path: string): Promise<InputText> {
  if (path === '-') return { text: await readStdin(), source: '<stdin>' };
  try {
    return { text: await readFile(path, 'utf8'), source: path };
  } catch (err) {
    if (hasCode(err, 'ENOENT')) throw new TmonError('CLI_NO_INPUT', `${path}: no such file`);
    if (hasCode(err, 'EISDIR')) throw new TmonError('CLI_NO_INPUT', `${path}: is a directory, not a file`);
    throw err;
  }
}
