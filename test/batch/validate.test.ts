import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { OPERATIONS, extendOperations, placedProblems, problemLine, readBatch, validateBatch, validateDocument, type Problem } from '../../src/batch/index.js';
import { AJV_OPTIONS, builtInSchemas, schemasDigest } from '../../src/batch/schema.js';
import { parseKvg } from '../../src/kvgroup/index.js';
import { newAjv } from '../../src/lazy-ajv.js';
import { ROOT, tmon } from '../helpers/cli.js';

const load = (path: string) => parseKvg(readFileSync(join(ROOT, path), 'utf8'), { source: path, positions: true });
const messages = (problems: Problem[]) => problems.map((p) => p.message);

/** One fixture per rule, with exactly the problems it must report. */
const RULES: Array<[string, string, string[]]> = [
  ['two-top-level-groups', 'BATCH_DOCUMENT', ['document: holds 2 top-level groups; a batch document holds exactly one']],
  ['no-batch-group', 'BATCH_NOT_ONE_BATCH', ['document: the top-level group must hold exactly one "batch" group, not 0']],
  ['two-batch-groups', 'BATCH_NOT_ONE_BATCH', ['document: the top-level group must hold exactly one "batch" group, not 2']],
  ['no-actions', 'BATCH_NO_ACTIONS', ['batch B-1: holds no action']],
  ['duplicate-action-id', 'BATCH_DUPLICATE_ACTION', ['action B-1_0: the action id is used by 2 actions']],
  ['unknown-operation', 'BATCH_UNKNOWN_OPERATION', ['action B-1_0: unknown operation "FROB"']],
  ['missing-operation', 'BATCH_MISSING_KEY', ['action B-1_0: needs "operation"']],
  ['missing-key', 'BATCH_MISSING_KEY', ['action B-1_0: operation GRUA needs "groupid"']],
  ['missing-attribute', 'BATCH_MISSING_KEY', ['action B-1_0: operation MVCU needs "attributes.context"']],
  ['duplicate-key', 'BATCH_DUPLICATE_KEY', ['action B-1_0: "operation" is given 2 times']],
  ['bad-interactive', 'BATCH_BAD_INTERACTIVE', ['action B-1_0: interactive must be "true", "false" or empty, not "yes"']],
  ['duplicate-replyid', 'BATCH_DUPLICATE_REPLYID', ['action B-1_1: replyid "r-1" is already used by action B-1_0']],
  ['depends-incomplete', 'BATCH_BAD_DEPENDS', ['action B-1_1: depends entry 1 has no "batch"']],
  ['depends-missing-action', 'BATCH_BAD_DEPENDS', ['action B-1_1: depends entry 1 has no "action"']],
  ['depends-extra-key', 'BATCH_BAD_DEPENDS', ['action B-1_1: depends entry 1 has "state", which a dependency does not take (only "action" and "batch")']],
  [
    'depends-bare-pairs',
    'BATCH_BAD_DEPENDS',
    [
      'action B-1_1: depends entry 1 is a pair ("action" = "B-1_0"), not a dependency group "local" "" = { "action" = … "batch" = … }',
      'action B-1_1: depends entry 2 is a pair ("batch" = "B-1"), not a dependency group "local" "" = { "action" = … "batch" = … }',
    ],
  ],
  ['depends-unknown-group', 'BATCH_BAD_DEPENDS', ['action B-1_1: depends entry 1 is a "depends" group; a dependency is "local" "" = { "action" = … "batch" = … }']],
  ['depends-as-pair', 'BATCH_BAD_MEMBER', ['action B-1_1: "depends" is written as a pair; it is a group: "depends" "" = { … }']],
  ['depends-capitalised', 'BATCH_BAD_MEMBER', ['action B-1_1: holds a "Depends" group, which an action does not take (only "attributes" and "depends") (did you mean "depends"?)']],
  ['depends-twice', 'BATCH_BAD_MEMBER', ['action B-1_1: holds a second "depends" group; put everything in one']],
  ['depends-named', 'BATCH_BAD_MEMBER', ['action B-1_1: its "depends" group is named "B-1_0"; write "depends" "" = { … }']],
  ['batch-unknown-group', 'BATCH_BAD_MEMBER', ['batch B-1: holds a "actoin" group "B-1_2", which a batch does not take (only "action" groups) (did you mean "action"?)']],
  ['unknown-dependency', 'BATCH_UNKNOWN_DEPENDENCY', ['action B-1_0: depends on action B-1_9 of batch B-1, which does not exist']],
  ['unknown-cross-batch-dependency', 'BATCH_UNKNOWN_DEPENDENCY', ['action B-1_0: depends on action B-0_0 of batch B-0, which does not exist']],
  ['cycle', 'BATCH_CYCLE', ['action a: dependency cycle: a -> b -> c -> a']],
];

describe('batch validation (contract §2)', () => {
  test.each(RULES)('fixtures/invalid/%s.kvg is refused with %s', (name, code, expected) => {
    const { problems } = validateDocument(load(`fixtures/invalid/${name}.kvg`));
    expect(messages(problems)).toEqual(expected);
    expect(problems.every((p) => p.code === code)).toBe(true);
    // What validation can place carries its line and column.
    if (code === 'BATCH_BAD_DEPENDS' || code === 'BATCH_BAD_MEMBER') expect(problems.every((p) => p.line! > 0 && p.column! > 0)).toBe(true);
  });

  test('a batch with several problems reports them all, in document order', () => {
    const { problems } = validateDocument(load('fixtures/invalid/several-problems.kvg'));
    expect(messages(problems)).toEqual([
      'action B-1_0: the action id is used by 2 actions',
      'action B-1_0: operation GRUA needs "groupid"',
      'action B-1_0: interactive must be "true", "false" or empty, not "maybe"',
      'action B-1_1: unknown operation "FROB"',
      'action B-1_1: replyid "r-1" is already used by action B-1_0',
      'action B-1_1: depends on action B-1_7 of batch B-1, which does not exist',
      'action B-1_0: operation CRTG needs "hostid"',
      'action B-1_0: operation CRTG needs "groupid"',
    ]);
  });

  test('a bad depends entry carries its line and column; without positions it is still refused', () => {
    const { problems } = validateDocument(load('fixtures/invalid/depends-bare-pairs.kvg'));
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [21, 9],
      [22, 9],
    ]);
    const bare = parseKvg(readFileSync(join(ROOT, 'fixtures/invalid/depends-bare-pairs.kvg'), 'utf8'));
    expect(messages(validateDocument(bare).problems)).toEqual([
      'action B-1_1: depends entry 1 is a pair ("action" = "B-1_0"), not a dependency group "local" "" = { "action" = … "batch" = … }',
      'action B-1_1: depends entry 2 is a pair ("batch" = "B-1"), not a dependency group "local" "" = { "action" = … "batch" = … }',
    ]);
  });

  test('a member tmon does not take is refused at its line and column, in the file, by the CLI and the inbox alike', () => {
    const placed = (name: string) => validateDocument(load(`fixtures/invalid/${name}.kvg`)).problems.map((p) => [p.line, p.column]);
    expect(placed('depends-as-pair')).toEqual([[17, 7]]);
    expect(placed('depends-twice')).toEqual([[23, 7]]);
    expect(placed('batch-unknown-group')).toEqual([[19, 5]]);
    const r = tmon(['validate', join(ROOT, 'fixtures/invalid/depends-capitalised.kvg')]);
    expect(r.status).toBe(65);
    expect(r.stdout).toBe(`${join(ROOT, 'fixtures/invalid/depends-capitalised.kvg')}:17:7: action B-1_1: holds a "Depends" group, which an action does not take (only "attributes" and "depends") (did you mean "depends"?)\n`);
    // Parsed without positions (as the inbox does), the place is found again once refused.
    const text = readFileSync(join(ROOT, 'fixtures/invalid/depends-as-pair.kvg'), 'utf8');
    const bare = validateDocument(parseKvg(text)).problems;
    expect(bare[0]!.line).toBeUndefined();
    expect(placedProblems(bare, text, 'x.kvg').map((p) => problemLine(p, 'x.kvg'))).toEqual(['x.kvg:17:7: action B-1_1: "depends" is written as a pair; it is a group: "depends" "" = { … }']);
  });

  test('a local group with a name, a nested group or a repeated key is no dependency either', () => {
    const check = (local: string) =>
      messages(validateDocument(parseKvg(`"" "" = { "batch" "B" = { "action" "a" = { operation = NOOP hostid = H } "action" "b" = { operation = NOOP hostid = H "depends" "" = { ${local} } } } }`)).problems);
    expect(check('"local" "x" = { action = a batch = B }')).toEqual(['action b: depends entry 1 is named "x" (a dependency group has an empty name)']);
    expect(check('"local" "" = { action = a batch = B "extra" "" = { } }')).toEqual(['action b: depends entry 1 holds a "extra" group, which a dependency does not take']);
    expect(check('"local" "" = { action = a action = c batch = B }')).toEqual(['action b: depends entry 1 gives "action" 2 times']);
    expect(check('"local" "" = { action = a batch = B }')).toEqual([]);
  });

  test('the shared fixtures validate, the rewritten one with its changed/retval pairs too', () => {
    for (const f of ['fixtures/delu-input.kvg', 'fixtures/delu-output.kvg']) {
      expect(validateDocument(load(f)).problems).toEqual([]);
    }
  });

  test('a dependency on another batch is valid when the look-up knows the action', () => {
    const doc = load('fixtures/invalid/unknown-cross-batch-dependency.kvg');
    const seen: string[] = [];
    const lookup = (b: string, a: string) => (seen.push(`${b}/${a}`), b === 'B-0' && a === 'B-0_0');
    expect(validateDocument(doc, { lookup }).problems).toEqual([]);
    expect(seen).toEqual(['B-0/B-0_0']);
  });

  test('every operation of the table checks exactly the keys it needs', () => {
    for (const [op, spec] of Object.entries(OPERATIONS)) {
      const batch = readBatch(parseKvg(`"" "" = { "batch" "B" = { "action" "a" = { "operation" = "${op}" } } }`)[0]!)!;
      const needed = validateBatch(batch)
        .map((p) => /needs "(.*)"$/.exec(p.message)?.[1])
        .filter(Boolean);
      expect(needed).toEqual(spec.needs);
    }
  });

  test('UPDT needs an attributes group with at least one pair', () => {
    const check = (attrs: string) =>
      messages(validateBatch(readBatch(parseKvg(`"" "" = { "batch" "B" = { "action" "a" = { operation = UPDT hostid = H userid = U ${attrs} } } }`)[0]!)!));
    expect(check('')).toEqual(['action a: operation UPDT needs "attributes"']);
    expect(check('"attributes" "" = { }')).toEqual(['action a: operation UPDT needs "attributes"']);
    expect(check('"attributes" "" = { "title" = "Boss" }')).toEqual([]);
  });

  test('a site can extend the operation table', () => {
    const batch = readBatch(parseKvg('"" "" = { "batch" "B" = { "action" "a" = { operation = MAIL hostid = H } } }')[0]!)!;
    expect(messages(validateBatch(batch))).toEqual(['action a: unknown operation "MAIL"']);
    const operations = extendOperations({ MAIL: { does: 'send a mail', needs: ['hostid', 'userid'] } });
    expect(messages(validateBatch(batch, { operations }))).toEqual(['action a: operation MAIL needs "userid"']);
  });
});

describe('tmon validate', () => {
  test('exits 0 and says so for a valid batch', () => {
    const r = tmon(['validate', 'fixtures/delu-input.kvg']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('fixtures/delu-input.kvg: batch 20070503-113234-00 is valid (1 action)\n');
  });

  test('prints each problem on its own line and exits 65', () => {
    const r = tmon(['validate', 'fixtures/invalid/several-problems.kvg']);
    expect(r.status).toBe(65);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(8);
    expect(r.stdout).toContain('action B-1_1: unknown operation "FROB"\n');
    expect(r.stderr).toBe('');
  });

  test('--json lists {batch, action, code, message}; [] when valid', () => {
    const r = tmon(['validate', '--json', 'fixtures/invalid/missing-key.kvg']);
    expect(r.status).toBe(65);
    expect(JSON.parse(r.stdout)).toEqual([
      { batch: 'B-1', action: 'B-1_0', code: 'BATCH_MISSING_KEY', message: 'action B-1_0: operation GRUA needs "groupid"' },
    ]);
    const ok = tmon(['validate', '--json', 'fixtures/delu-output.kvg']);
    expect([ok.status, JSON.parse(ok.stdout)]).toEqual([0, []]);
  });

  test('a syntax error is reported with its position (and as a problem in JSON), exit 65', () => {
    const r = tmon(['validate', 'fixtures/syntax-errors/missing-equals.kvg']);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe('tmon: fixtures/syntax-errors/missing-equals.kvg:3:17: expected "=" but found "{"\n');
    const j = tmon(['validate', '--json', 'fixtures/syntax-errors/missing-equals.kvg']);
    expect(JSON.parse(j.stdout)).toEqual([
      { batch: null, action: null, code: 'KVG_UNEXPECTED_TOKEN', message: 'fixtures/syntax-errors/missing-equals.kvg:3:17: expected "=" but found "{"' },
    ]);
  });

  test('a depends member without the "local" wrapper is refused with its line:column', () => {
    const r = tmon(['validate', 'fixtures/invalid/depends-bare-pairs.kvg']);
    expect(r.status).toBe(65);
    expect(r.stdout).toContain(':21:9: action B-1_1: depends entry 1 is a pair ("action" = "B-1_0")');
    const j = tmon(['validate', '--json', 'fixtures/invalid/depends-unknown-group.kvg']);
    expect(JSON.parse(j.stdout)).toEqual([expect.objectContaining({ code: 'BATCH_BAD_DEPENDS', line: 21, column: 9 })]);
  });

  test('a missing file exits 66', () => {
    expect(tmon(['validate', 'nope.kvg']).status).toBe(66);
  });
});

test('the validators the build generates (dist/) are made from the operations table and say what compiling says', () => {
  type Generated = { validators: Record<string, ReturnType<ReturnType<typeof newAjv>['compile']>>; schemaDigest: string };
  const generated = createRequire(import.meta.url)(join(ROOT, 'dist', 'batch', 'schema-validators.cjs')) as Generated;
  expect(generated.schemaDigest).toBe(schemasDigest());
  const schemas = builtInSchemas();
  expect(Object.keys(generated.validators)).toEqual(Object.keys(schemas));
  const ajv = newAjv(AJV_OPTIONS);
  const actions = [
    {},
    { hostid: '', userid: 'u', interactive: 'yes', attributes: {} },
    { hostid: 'H', userid: 'u', groupid: 'g', newpw: 'x', modelid: 'm', newuserid: 'n', interactive: 'true', attributes: { a: '', mail: 'm' } },
    { hostid: 'H', userid: 'u', interactive: '', attributes: 'not a group' },
  ];
  for (const [key, schema] of Object.entries(schemas)) {
    const compiled = ajv.compile(schema);
    const made = generated.validators[key]!;
    for (const data of actions) expect([key, made(data), made.errors]).toEqual([key, compiled(data), compiled.errors]);
  }
});
