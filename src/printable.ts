const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from batches, plugins and scripts made safe for a terminal: control characters (an
 * escape sequence could rewrite the screen, a CR hide what came before) are shown as `\n`,
 * `\r`, `\t`, `\xNN` or `\uNNNN`. Only output for people is escaped; JSON keeps the exact text.
 */
export function printable(text: string): string {
  // C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}
