/**
 * Fault test — README "Guarantees": if InfluxDB is down, readings wait in the spool
 * and drain when it returns, in order; the outage is visible (`shanshui_influx_up 0`, spool
 * depth, `/healthz` 503) and devices keep getting PUBACKs throughout, because acknowledgement
 * depends on the spool, not on InfluxDB.
 *
 * In-process platform, real influxd killed with SIGKILL and restarted on the same data. Each
 * device publishes strictly in order (reading n+1 only after n's PUBACK), so n is in the spool
 * before n+1; the drain must then write n no later than n+1. The test watches the drain's
 * successful writes (a pass-through observer on the platform's InfluxHttp.write: the real write
 * still happens) to check that order per station.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { ReadingPublisher, pm25Of } from '../support/reading-publisher.ts';
import { metricValue } from '../support/prometheus-text.ts';

const DEVICES = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Station → timestamps of its `air` points, in the order successful writes carried them. */
function observeWrites(tp: TestPlatform): Map<string, number[]> {
  const written = new Map<string, number[]>();
  const influx = tp.platform.influx;
  const write = influx.write.bind(influx);
  influx.write = async (lines, timeoutMs) => {
    await write(lines, timeoutMs);
    const text = typeof lines === 'string' ? lines : Buffer.from(lines).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.startsWith('air,')) continue;
      const station = /[,]station=([^,\s]+)/.exec(line)?.[1];
      const ts = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (station) written.set(station, [...(written.get(station) ?? []), ts]);
    }
  };
  return written;
}

// Run inline and with accept worker threads (README "Every core"): the guarantee is the same.
test.for([0, 2])('InfluxDB down under load: PUBACKs continue, the outage shows in /metrics and /healthz, the spool drains in order after it returns (accept workers: %i)', { timeout: 180_000 }, async (acceptWorkers, t) => {
  const tp = await startTestPlatform({ acceptWorkers });
  const publishers: ReadingPublisher[] = [];
  t.onTestFinished(async () => {
    await Promise.all(publishers.map((p) => p.stop(0)));
    await tp.close();
  });
  const written = observeWrites(tp);
  const metrics = async (): Promise<string> => (await tp.api('GET', '/metrics')).body as string;

  const baseTs = Date.now() - 3_600_000;
  for (let i = 0; i < DEVICES; i++) {
    const id = `outage-${i}`;
    const cred = await tp.register({ id });
    publishers.push(new ReadingPublisher({ url: `mqtt://127.0.0.1:${tp.platform.mqttPort}`, deviceId: id, password: cred.password, baseTs, window: 1, intervalMs: 10 }));
  }
  for (const p of publishers) p.start();

  // Healthy first: readings reach InfluxDB.
  await eventually(async () => {
    const [s] = await tp.platform.influx.query(`SELECT count(pm25) FROM air WHERE station =~ /^outage-/`);
    return Number(s?.values[0]?.[1] ?? 0) > 50;
  }, 'readings flowing into InfluxDB', 30_000);
  assert.equal((await tp.api('GET', '/healthz')).status, 200);

  await tp.influxd.kill('SIGKILL');
  const ackedAtOutage = publishers.map((p) => p.acked.size);

  const during = await eventually(async () => {
    const text = await metrics();
    const up = metricValue(text, 'shanshui_influx_up');
    const depth = metricValue(text, 'shanshui_spool_depth_records') ?? 0;
    return up === 0 && depth > 0 ? { depth, bytes: metricValue(text, 'shanshui_spool_depth_bytes') ?? 0 } : undefined;
  }, 'shanshui_influx_up 0 and a spool depth > 0', 30_000);
  const health = await tp.api('GET', '/healthz');
  assert.equal(health.status, 503, '/healthz answers 503 while InfluxDB is down');
  assert.equal(health.body.ok, false);
  assert.equal(health.body.influx, 'down');
  assert.ok(health.body.spool.records > 0, 'health shows readings waiting in the spool');

  // Several seconds of outage under load: devices still get PUBACKs, the spool grows.
  await sleep(5000);
  publishers.forEach((p, i) => assert.ok(p.acked.size > ackedAtOutage[i]! + 20, `${p.deviceId} kept getting PUBACKs while InfluxDB was down`));
  const late = await eventually(async () => {
    const text = await metrics();
    const depth = metricValue(text, 'shanshui_spool_depth_records') ?? 0;
    return metricValue(text, 'shanshui_influx_up') === 0 && depth > during.depth ? depth : undefined;
  }, 'spool depth growing during the outage', 10_000);
  console.log(`spool depth during the outage: ${during.depth} → ${late} records`);

  await tp.influxd.restart();
  await sleep(1000);
  await Promise.all(publishers.map((p) => p.stop(30_000)));
  for (const p of publishers) assert.deepEqual(p.unacked(), [], `${p.deviceId}: every publish acknowledged`);

  await eventually(async () => {
    const h = await tp.api('GET', '/healthz');
    return h.status === 200 && h.body.spool.records === 0;
  }, 'spool drained and /healthz 200 after InfluxDB returned', 90_000);
  const after = await metrics();
  assert.equal(metricValue(after, 'shanshui_influx_up'), 1);
  assert.equal(metricValue(after, 'shanshui_spool_depth_records'), 0);

  for (const p of publishers) {
    const rows = await tp.query(`SELECT pm25 FROM air WHERE station = '${p.deviceId}'`);
    const stored = new Map(rows.map((r) => [Number(r['time']), Number(r['pm25'])]));
    const expected = new Map([...p.acked].map((seq) => [p.tsOf(seq), pm25Of(seq)]));
    // Every publish was acknowledged, so stored = acknowledged = published, value for value.
    assert.equal(p.acked.size, p.sent.size);
    assert.deepEqual(stored, expected, `${p.deviceId}: InfluxDB holds exactly the acknowledged readings`);

    // Drain order: first writes of each timestamp follow the publish order (a batch retried after
    // the outage may repeat, which the idempotent point makes harmless).
    const seen = new Set<number>();
    const firstWrites = (written.get(p.deviceId) ?? []).filter((ts) => !seen.has(ts) && seen.add(ts));
    assert.equal(firstWrites.length, p.acked.size, `${p.deviceId}: every reading went through the drain`);
    const outOfOrder = firstWrites.findIndex((ts, i) => i > 0 && ts < firstWrites[i - 1]!);
    assert.equal(outOfOrder, -1, `${p.deviceId}: drained in publish order (first disorder at write #${outOfOrder})`);
  }
});
