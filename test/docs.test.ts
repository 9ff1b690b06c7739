import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDocument } from '../src/batch/index.js';
import { configProblems } from '../src/config/index.js';
import { parseKvg } from '../src/kvgroup/index.js';
import { ROOT } from './helpers/cli.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
/** The fenced blocks of a markdown file, with their language tag. */
const blocks = (file: string) => [...read(file).matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));

/** What a new operator copies from the docs must work as pasted. */
describe('the README and docs', () => {
  test('the README is at most 250 lines and its batch validates, the group adds waiting on the create', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250);
    const hire = blocks('README.md').find((b) => b.text.startsWith('# hire.kvg'))!;
    const { batch, problems } = validateDocument(parseKvg(hire.text, { positions: true }));
    expect(problems).toEqual([]);
    expect(batch!.actions.map((a) => [a.id, a.pairs.replyid, a.depends.map((d) => d.action)])).toEqual([
      ['HIRE-42_0', 'hr-42-create', []],
      ['HIRE-42_1', 'hr-42-staff', ['HIRE-42_0']],
      ['HIRE-42_2', 'hr-42-vpn', ['HIRE-42_0']],
    ]);
  });

  test('every whole config example passes the config check', () => {
    const examples = ['README.md', 'docs/configuration.md'].flatMap((f) => blocks(f).filter((b) => b.lang === 'json').map((b) => ({ f, text: b.text })));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const { f, text } of examples) expect([f, configProblems(JSON.parse(text), join(ROOT, 'var')).errors]).toEqual([f, []]);
  });

  test('the links of the README and docs point at files of the repository (other than the docs being written elsewhere)', () => {
    const elsewhere = new Set(['docs/ldap.md', 'docs/http.md', 'docs/sandbox.md']);
    for (const file of ['README.md', ...['kvgroup', 'batches', 'plugins', 'execution', 'triggers', 'configuration', 'operations', 'architecture', 'postgres'].map((d) => `docs/${d}.md`), 'bench/README.md']) {
      const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
      for (const [, target] of read(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const path = join(dir, target!).replace(/^\.\//, '');
        if (!elsewhere.has(path)) expect([file, target, existsSync(join(ROOT, path))]).toEqual([file, target, true]);
      }
      expect(read(file)).not.toMatch(/shared\/spec|CONTRACT/);
    }
  });
});
