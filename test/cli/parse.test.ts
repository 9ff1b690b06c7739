import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmon } from '../helpers/cli.js';

describe('tmon parse', () => {
  test('prints the canonical form, and piping it through tmon parse - prints the same text', () => {
    const first = tmon(['parse', 'fixtures/delu-input.kvg']);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^"" "" = \{\n {2}"batch" "20070503-113234-00" = \{\n/);
    expect(first.stdout).not.toContain('#');
    const second = tmon(['parse', '-'], { input: first.stdout });
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  test('--json prints the JSON view', () => {
    const r = tmon(['parse', '--json', 'fixtures/delu-output.kvg']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, 'test/golden/delu-output.json'), 'utf8')));
  });

  test('a stream prints as an array in JSON', () => {
    const r = tmon(['parse', '--json', '-'], { input: 'a "" = {} b "" = {}' });
    expect(JSON.parse(r.stdout)).toEqual([
      { type: 'a', name: '', members: [] },
      { type: 'b', name: '', members: [] },
    ]);
  });

  test('a password (newpw) is never printed, in either form; an empty one stays empty', () => {
    const input = '"" "" = { "newpw" = "Hunter2!" "other" = "x" "newpw" = "" }';
    const text = tmon(['parse', '-'], { input });
    expect(text.stdout).toBe('"" "" = {\n  "newpw" = "[redacted]"\n  "other" = "x"\n  "newpw" = ""\n}\n');
    expect(tmon(['parse', '--json', '-'], { input }).stdout).not.toContain('Hunter2!');
  });

  test('a missing file exits 66 with a one-line error', () => {
    const r = tmon(['parse', 'no/such/file.kvg']);
    expect(r.status).toBe(66);
    expect(r.stderr).toBe('tmon: no/such/file.kvg: no such file\n');
  });

  test('bad usage exits 2', () => {
    expect(tmon(['parse']).status).toBe(2);
    expect(tmon(['no-such-command']).status).toBe(2);
  });

  test('a syntax error in standard input is reported as <stdin>', () => {
    const r = tmon(['parse', '-'], { input: '"a" "b" = {' });
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/^tmon: <stdin>:1:12: unbalanced braces/);
  });

  test('--verbose adds the stack trace; without it there is none', () => {
    expect(tmon(['parse', '-'], { input: '}' }).stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(tmon(['--verbose', 'parse', '-'], { input: '}' }).stderr).toMatch(/\n\s+at /);
  });

  test('--help says what tmon and tmon parse do', () => {
    const top = tmon(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/transaction monitor/);
    expect(top.stdout).toMatch(/parse \[options\] <file>/);
    const sub = tmon(['parse', '--help']);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toMatch(/canonical form/);
    expect(sub.stdout).toMatch(/65 syntax error/);
  });
});
