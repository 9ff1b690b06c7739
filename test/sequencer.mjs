// @ts-check
/*
 * The order jest starts test files in: longest first, so that the workers finish together.
 *
 * Jest does that by itself only from its timing cache (the last run's duration of each file).
 * On a fresh clone (CI) there is none, and it falls back to file size, which says little here:
 * the slow files are the ones that start daemons or PostgreSQL, not the long ones. A 50 s file
 * started last then ends the run 50 s after everything else. So a file jest has no time for
 * gets the one it took in a recent run (durations.json, seconds), else an estimate from its
 * size. Failed files still come first, as jest does.
 *
 * durations.json needs no care to stay correct (it only orders files; the times in it are
 * from a loaded machine, only their order matters); to refresh it after the suite changed a lot:
 *   npm test -- --json --outputFile=/tmp/jest.json && node test/sequencer.mjs /tmp/jest.json
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DURATIONS = join(HERE, 'durations.json');

/** Seconds a file without a recorded duration is guessed to take, per byte of it. */
const SECONDS_PER_BYTE = 1 / 10_000;

/** @type {Record<string, number>} seconds, by path relative to test/ */
const recorded = existsSync(DURATIONS) ? JSON.parse(readFileSync(DURATIONS, 'utf8')) : {};

// The sequencer jest uses by default; jest itself depends on it (the documented way to extend it).
const { default: Sequencer } = createRequire(import.meta.url)('@jest/test-sequencer');

export default class LongestFirst extends Sequencer {
  /** Milliseconds: jest's own record of the last run, else durations.json, else the size guess. */
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    const seconds = recorded[relative(HERE, test.path).split('\\').join('/')] ?? statSync(test.path).size * SECONDS_PER_BYTE;
    return seconds * 1000;
  }
}

// `node test/sequencer.mjs RESULTS.json`: rewrites durations.json from a `jest --json` run.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
  /** @type {Array<[string, number]>} */
  const rows = results.testResults.map((/** @type {{ name: string; startTime: number; endTime: number }} */ r) => [relative(HERE, r.name).split('\\').join('/'), Math.round((r.endTime - r.startTime) / 100) / 10]);
  rows.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  writeFileSync(DURATIONS, `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`);
}
