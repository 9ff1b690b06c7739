/**
 * Writes to stdout and resolves once the data is handed to the OS, so that a command that
 * prints a large document and then exits does not cut its own output short in a pipe.
 */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
