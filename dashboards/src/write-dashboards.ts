/**
 * Writes the provisioned dashboard JSON from the generator:
 *   node dashboards/src/write-dashboards.ts          (rewrite)
 *   node dashboards/src/write-dashboards.ts --check  (exit 1 when the committed JSON is stale)
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildDashboards, dashboardJson } from './build-dashboards.ts';

const JSON_DIR = path.join(import.meta.dirname, '..', 'provisioning', 'dashboards', 'json');

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write('usage: node dashboards/src/write-dashboards.ts           rewrite provisioning/dashboards/json from the generator\n       node dashboards/src/write-dashboards.ts --check   exit 1 when the committed JSON is stale\n');
  process.exit(0);
}
const check = process.argv.includes('--check');
const built = buildDashboards();
await mkdir(JSON_DIR, { recursive: true });
const stale: string[] = [];
for (const [file, d] of Object.entries(built)) {
  const target = path.join(JSON_DIR, file);
  const text = dashboardJson(d);
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === text) continue;
  if (check) stale.push(file);
  else await writeFile(target, text);
}
for (const file of await readdir(JSON_DIR)) if (file.endsWith('.json') && !(file in built)) stale.push(`${file} (not generated)`);
if (stale.length > 0) {
  process.stderr.write(`${check ? 'stale' : 'unexpected'} dashboard JSON: ${stale.join(', ')}${check ? ' — run node dashboards/src/write-dashboards.ts' : ''}\n`);
  process.exit(1);
}
