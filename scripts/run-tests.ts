/**
 * `npm test` after the typecheck: every `*.test.ts` in the workspaces, through node's test
 * runner (Node 24 strips the types). End-to-end files start their own influxd, so run a few
 * files at a time on this 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const files = globSync('{models,broker,ingest,edge-agent,dashboards,test}/**/*.test.ts', { exclude: (f) => f.includes('node_modules') }).sort();
if (files.length === 0) {
  process.stderr.write('no test files found\n');
  process.exit(1);
}
const extra = process.argv.slice(2);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=300000', ...extra, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
