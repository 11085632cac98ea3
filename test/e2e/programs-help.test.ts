/**
 * Every program the README tells a person to run answers `--help` (and `-h`) with its usage and
 * exit 0 — and does nothing else: no platform started, no folder named `--help` made, no file
 * rewritten. Run from a temp folder, so a program that ignored the flag would touch nothing here.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../support/temp-dir.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const at = (file: string): string => path.join(REPO_ROOT, file);

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp?.remove();
});

/** Program, how the README runs it (its usage names it so). */
const PROGRAMS: { file: string; runAs: string }[] = [
  { file: 'ingest/src/main.ts', runAs: 'npm start' },
  { file: 'scripts/demo.ts', runAs: 'npm run demo' },
  { file: 'ingest/src/cli.ts', runAs: 'npm run cli' },
  { file: 'edge-agent/src/cli.ts', runAs: 'npm run agent' },
  { file: 'scripts/build-agent.ts', runAs: 'npm run agent:build' },
  { file: 'test/bench/run.ts', runAs: 'npm run bench' },
  { file: 'test/bench/bench-postgres-ops.ts', runAs: 'node test/bench/bench-postgres-ops.ts' },
  { file: 'test/bench/webhook-latency.ts', runAs: 'node test/bench/webhook-latency.ts' },
  { file: 'dashboards/src/print-basemap.ts', runAs: 'npm run grafana-basemap -w dashboards' },
  { file: 'web/build/main.ts', runAs: 'npm run build -w web' },
  { file: 'web/build/write-china-boundaries.ts', runAs: 'npm run boundaries -w web' },
  { file: 'scripts/dev-ca.sh', runAs: 'scripts/dev-ca.sh' },
  { file: 'dashboards/src/write-dashboards.ts', runAs: 'node dashboards/src/write-dashboards.ts' },
];

for (const { file, runAs } of PROGRAMS) {
  for (const flag of ['--help', '-h']) {
    test(`${runAs} ${flag}: its usage (naming it as the README runs it) on stdout, exit 0, nothing done`, () => {
      const command = file.endsWith('.sh') ? 'bash' : process.execPath;
      const r = spawnSync(command, [at(file), flag], {
        cwd: tmp.dir,
        encoding: 'utf8',
        timeout: 60_000,
        // Were the flag ignored, the platform would try nothing on this machine's ports or data.
        env: { ...process.env, SHANSHUI_DATA_DIR: path.join(tmp.dir, 'data'), SHANSHUI_MQTT_PORT: '0', SHANSHUI_HTTP_PORT: '0', SHANSHUI_INFLUX_URL: 'http://127.0.0.1:9' },
      });
      expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
      expect(r.stdout).toContain(runAs);
      expect(readdirSync(tmp.dir)).toEqual([]);
    });
  }
}
