/**
 * The README's commands point at things that exist: its two commands stay first and are what CI
 * runs (`.ci/run` ends with the README's test command), every `npm run X [-w pkg]` in the README
 * and the docs it links names a script of that package, and every program or source file they
 * name by its path is in the repository.
 */
import { test, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const DOCS = ['README.md', 'dashboards/README.md', ...readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

test('the two commands: the README runs the platform with the demo fleet and all tests; .ci/run runs that same test command', () => {
  const readme = read('README.md');
  const block = /## Two commands[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
  expect(commands).toEqual(['npm ci && npm run demo', 'npm test']);
  const ci = read('.ci/run')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
  expect(ci.at(-1)).toBe(commands[1]);
});

test('every npm run in the README and its docs names a script of the package it runs in', () => {
  const scriptsOf = (dir: string): Record<string, string> => (JSON.parse(read(path.join(dir, 'package.json'))) as { scripts?: Record<string, string> }).scripts ?? {};
  const missing: string[] = [];
  for (const doc of DOCS) {
    for (const m of read(doc).matchAll(/npm run (?:-s |--silent )?([a-z][a-z:-]*)(?: -w ([a-z-]+))?/g)) {
      const [, script, workspace] = m;
      if (!(script! in scriptsOf(workspace ?? '.'))) missing.push(`${doc}: ${m[0]}`);
    }
  }
  expect(missing).toEqual([]);
});

test('every program or source file the README and its docs name by path is in the repository', () => {
  const missing: string[] = [];
  for (const doc of DOCS) {
    for (const m of read(doc).matchAll(/(?:\bnode |^|[\s`(])((?:scripts|test|web|dashboards|ingest|edge-agent|models|broker)\/[\w./-]+\.(?:ts|sh))\b/gm)) {
      if (!existsSync(path.join(REPO_ROOT, m[1]!))) missing.push(`${doc}: ${m[1]}`);
    }
  }
  expect(missing).toEqual([]);
});
