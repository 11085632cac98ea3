/**
 * `npm test` after the typecheck: installs the Debian packages the tests start (when root; else
 * names the command), then every `*.test.ts` in the workspaces through vitest (vitest.config.ts:
 * Node's own type stripping, three files at a time) with a coverage summary. Extra arguments go
 * to vitest (`npm test -- ingest/src/spool`, then without coverage).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './ensure-system-packages.ts';

ensureSystemPackages();
const vitest = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'vitest', 'vitest.mjs');
const extra = process.argv.slice(2);
const coverage = extra.length === 0 ? ['--coverage'] : [];
const out = mkdtempSync(path.join(tmpdir(), 'shanshui-tests-'));
const report = path.join(out, 'report.json');
const reporters = ['--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
const result = spawnSync(process.execPath, [vitest, 'run', ...coverage, ...reporters, ...extra], { stdio: 'inherit' });
// One plain closing line that any CI reads: "Tests: N passed, N failed, N skipped" — and the test
// files that failed as a whole (a beforeAll that threw skips their tests, which fail no test).
try {
  const r = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numFailedTestSuites?: number };
  const files = r.numFailedTestSuites ?? 0;
  process.stdout.write(`\nTests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped${files > 0 ? `; ${files} test file${files === 1 ? '' : 's'} failed` : ''}\n`);
} catch {
  process.stdout.write('\nTests: no report was written (vitest did not finish)\n');
}
rmSync(out, { recursive: true, force: true });
process.exit(result.status ?? 1);
