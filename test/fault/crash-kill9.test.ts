/**
 * Fault test — README "Guarantees": a QoS 1 reading is acknowledged only once it is
 * durable, so a crash (kill -9) at any moment loses no acknowledged reading, and redelivery
 * stores each reading exactly once (idempotent by (series, device timestamp)).
 *
 * The platform runs as a child process (`node ingest/src/main.ts`, configured by SHANSHUI_*
 * variables) against an influxd this test starts. Ten devices publish at QoS 1 without pause
 * while the platform is killed with SIGKILL four times — twice at a random moment, twice the
 * instant a PUBACK reaches a device after a random delay — and restarted on the same data
 * folder (runs alternate between two accept worker threads and none); devices reconnect and
 * resend what was not acknowledged. At the end every reading whose
 * PUBACK the device received must be in InfluxDB, once, with its value.
 *
 * Why this test can fail (it is not vacuous): a device forgets a reading once its PUBACK
 * arrives — the publisher never resends an acknowledged reading. If the platform sent the
 * PUBACK before the reading was in the spool (the hand-off done in aedes' `published` hook or
 * `'publish'` event, which run after the PUBACK is written; `acceptPublish` resolving before
 * `spool.append` settles; the spool resolving appends before writing them), a kill between that
 * PUBACK and the write loses a reading the device believes delivered, and the per-reading check
 * below names it. Killing the instant a PUBACK arrives hits exactly that window. Checked by
 * mutation: with `authorizePublish` calling back before `acceptPublish` settles, this test
 * reports acknowledged readings missing. Conversely, if redelivery or spool replay after a crash
 * wrote a reading twice into different series, `count(pm25)` would exceed the distinct
 * timestamps. (SIGKILL leaves the page cache intact, so this proves "acknowledged after the
 * spool write", not the fsync itself; power loss is out of a test's reach.)
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, InfluxHttp } from '@shanshui/ingest';
import { startInfluxd, eventually } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { ChildPlatform } from '../support/child-platform.ts';
import { httpApi } from '../support/http-api.ts';
import { ReadingPublisher, pm25Of } from '../support/reading-publisher.ts';

const DEVICES = 10;
const KILLS = 4;
const API_TOKEN = 'fault-test-admin-token-0123456789';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const randomBetween = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo));

test('kill -9 at random moments under QoS 1 load: every PUBACKed reading is in InfluxDB exactly once', { timeout: 240_000 }, async (t) => {
  const cleanups: Array<() => Promise<void>> = [];
  t.onTestFinished(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  });

  const influxd = await startInfluxd();
  cleanups.push(influxd.remove);
  const tmp = await tempDir('shanshui-crash-');
  cleanups.push(tmp.remove);
  const mqttPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === mqttPort) httpPort = await freePort();

  const platform = new ChildPlatform({
    config: {
      dataDir: path.join(tmp.dir, 'data'),
      host: '127.0.0.1',
      mqttPort,
      httpPort,
      influxUrl: influxd.influxd.url,
      apiToken: API_TOKEN,
      scryptCost: 1024,
      logLevel: 'warn',
      // The test is about crashes, not the rate limit: keep reconnect bursts from being refused.
      maxMessagesPerSec: 10_000,
      maxMessagesBurst: 10_000,
      // Runs alternate between accept worker threads and none (README "Every core"), on the same spool.
      acceptWorkers: 2,
    },
    logFile: path.join(tmp.dir, 'platform.log'),
  });
  cleanups.push(() => platform.close());
  await platform.start();

  const api = httpApi(platform.httpUrl, API_TOKEN);
  const baseTs = Date.now() - 3_600_000;
  const publishers: ReadingPublisher[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const id = `crash-${String(i).padStart(2, '0')}`;
    const cred = await api.register({ id });
    publishers.push(new ReadingPublisher({ url: platform.mqttUrl, deviceId: id, password: cred.password, baseTs, window: 4, intervalMs: 20 }));
  }
  cleanups.push(async () => {
    await Promise.all(publishers.map((p) => p.stop(0)));
  });
  for (const p of publishers) p.start();

  const totalAcked = (): number => publishers.reduce((n, p) => n + p.acked.size, 0);
  let unackedAtKills = 0;
  for (let k = 1; k <= KILLS; k++) {
    // Every device is connected to this run and getting PUBACKs, then the platform dies mid-stream.
    const before = publishers.map((p) => p.acked.size);
    await eventually(() => publishers.every((p, i) => p.connects >= k && p.acked.size > before[i]! + 5), `all devices publishing to run ${k}`, 60_000);
    await sleep(randomBetween(300, 2500));
    if (k % 2 === 1) {
      // The sharpest moment: the instant a PUBACK reaches a device. An acknowledgement sent
      // ahead of the spool write is then almost surely not yet durable.
      await new Promise<void>((resolve) => {
        const crash = (): void => {
          for (const p of publishers) p.onAck = undefined;
          // kill9 sends SIGKILL synchronously; the crash is complete once its promise settles.
          platform.kill9().then(resolve, resolve);
        };
        for (const p of publishers) p.onAck = crash;
      });
    }
    await platform.kill9();
    unackedAtKills += publishers.reduce((n, p) => n + p.unacked().length, 0);
    await sleep(randomBetween(0, 800));
    platform.reconfigure({ acceptWorkers: k % 2 === 1 ? 0 : 2 });
    await platform.start();
  }
  const ackedBeforeLast = totalAcked();
  await eventually(() => totalAcked() > ackedBeforeLast + 200, 'publishing resumed after the last restart', 60_000);

  await Promise.all(publishers.map((p) => p.stop(60_000)));
  const interrupted = publishers.reduce((n, p) => n + p.interrupted, 0);
  const sent = publishers.reduce((n, p) => n + p.sent.size, 0);
  const tornTails = ((await platform.logText()).match(/cut off a torn tail/g) ?? []).length;
  console.log(`${platform.starts} runs, ${KILLS} kills (${tornTails} left a torn spool tail); ${sent} readings sent, ${totalAcked()} acknowledged; ${unackedAtKills} unacknowledged publishes outstanding at the kills, ${interrupted} connections cut with publishes in flight`);
  for (const p of publishers) assert.deepEqual(p.unacked(), [], `${p.deviceId}: every reading acknowledged in the end (resent after each crash)`);
  assert.ok(interrupted > 0, 'the kills must land among in-flight publishes, or this test proves nothing');

  // Drained: nothing left in the spool (the drain commits a batch only after InfluxDB took it).
  await eventually(async () => {
    const h = await api.call('GET', '/healthz');
    return h.status === 200 && h.body.spool.records === 0;
  }, 'spool drained and InfluxDB up', 90_000);
  const influx = new InfluxHttp({ url: influxd.influxd.url, database: 'shanshui' });
  const [all] = await influx.query(`SELECT count(pm25) FROM air WHERE station =~ /^crash-/`);
  console.log(`${Number(all?.values[0]?.[1] ?? 0)} points stored for ${totalAcked()} acknowledged readings`);

  // Checked per device, reported all at once: which readings, not just whether.
  const problems: string[] = [];
  for (const p of publishers) {
    const [series] = await influx.query(`SELECT pm25 FROM air WHERE station = '${p.deviceId}'`);
    const byTime = new Map<number, number[]>();
    for (const r of series?.values ?? []) byTime.set(Number(r[0]), [...(byTime.get(Number(r[0])) ?? []), Number(r[1])]);
    const [counted] = await influx.query(`SELECT count(pm25) FROM air WHERE station = '${p.deviceId}'`);
    const count = Number(counted?.values[0]?.[1] ?? 0);
    const duplicated = [...byTime].filter(([, v]) => v.length > 1).map(([time]) => time);
    const missing = [...p.acked].filter((seq) => !byTime.has(p.tsOf(seq))).sort((a, b) => a - b);
    const wrong = [...p.acked].filter((seq) => byTime.has(p.tsOf(seq)) && byTime.get(p.tsOf(seq))![0] !== pm25Of(seq));
    const sentTimes = new Set(p.sent.values());
    const phantom = [...byTime.keys()].filter((time) => !sentTimes.has(time));
    if (duplicated.length > 0) problems.push(`${p.deviceId}: more than one point at time(s) ${duplicated.join(', ')}`);
    if (count !== byTime.size) problems.push(`${p.deviceId}: count(pm25) = ${count} but ${byTime.size} distinct timestamps`);
    if (missing.length > 0) problems.push(`${p.deviceId}: acknowledged but not in InfluxDB: seq ${missing.join(', ')}`);
    if (wrong.length > 0) problems.push(`${p.deviceId}: stored value differs from the published one: seq ${wrong.join(', ')}`);
    if (phantom.length > 0) problems.push(`${p.deviceId}: points nobody published at time(s) ${phantom.join(', ')}`);
  }
  assert.deepEqual(problems, [], 'every acknowledged reading stored exactly once, with its value');
});
