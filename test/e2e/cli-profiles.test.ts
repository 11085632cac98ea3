/** The CLI for the sensor catalogue: a child process against a real platform — profile put/list/show, station add --profile. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestPlatform } from '../support/test-platform.ts';
import { runPlatformCli } from '../support/platform-cli.ts';
import type { CliResult } from '../support/platform-cli.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const cli = (...args: string[]): Promise<CliResult> => runPlatformCli(tp, ...args);

test('cli: profile put adds a custom profile from a file (refused with the field named when wrong); station add --profile uses it', async () => {
  const tmp = await tempDir('shanshui-cli-profile-');
  try {
    const file = path.join(tmp.dir, 'tunnel.json');
    const profile = {
      id: 'tunnel-noise',
      name: '隧道口噪声监测点',
      domain: 'noise',
      extends: 'noise',
      metrics: ['laeq', 'lmax', 'l10', 'l90'],
      customMetrics: [{ id: 'vehicle_count', name: '车流量', nameEn: 'vehicles', unit: '辆/h', precision: 0, min: 0, max: 100000 }],
    };
    await writeFile(file, JSON.stringify(profile));
    const put = await cli('profile', 'put', '--file', file);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).profile.version, 1);
    const show = JSON.parse((await cli('profile', 'show', 'tunnel-noise')).stdout);
    assert.deepEqual(show.resolved.attributes.map((a: { key: string }) => a.key), ['noiseZone'], 'inherited from the noise profile');
    assert.ok(JSON.parse((await cli('profile', 'list')).stdout).items.some((p: { id: string }) => p.id === 'tunnel-noise'));

    await writeFile(file, JSON.stringify({ ...profile, metrics: ['laeq', 'pm25'] }));
    const bad = await cli('profile', 'put', '--file', file);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /400 API_ERR_VALIDATION .*metrics\.1: pm25 is not a metric of domain noise/);

    const add = await cli('station', 'add', '--id', 'tunnel-01', '--name', '白云山隧道口', '--domain', 'noise', '--lat', '23.18', '--lon', '113.3', '--region', '440111', '--department', 'eco-env', '--profile', 'tunnel-noise', '--attr', 'noiseZone=4a');
    assert.equal(add.code, 0, add.stderr);
    assert.equal(JSON.parse(add.stdout).station.profile, 'tunnel-noise');
    const noZone = await cli('station', 'add', '--id', 'tunnel-02', '--name', 'x', '--domain', 'noise', '--lat', '23.18', '--lon', '113.3', '--region', '440111', '--department', 'eco-env', '--profile', 'tunnel-noise');
    assert.equal(noZone.code, 2);
    assert.match(noZone.stderr, /requires noiseZone/);
  } finally {
    await tmp.remove();
  }
});
