/**
 * Part 2 — end to end: D devices (real mqtt.js clients in load-generator processes) publish
 * QoS 1 readings to a fresh platform process with its own fresh influxd; the clock runs from
 * the first publish until `SELECT count(pm25) FROM air` shows every acknowledged reading.
 * Two variants on the same platform: one reading per message, then batches of ten.
 */
import { mkdir, readFile, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { InfluxHttp } from '@shanshui/ingest';
import type { ConfigInput } from '@shanshui/ingest';
import { LoadGeneratorProcess } from './load-generator-process.ts';
import type { LoadGeneratorKind } from './load-generator-process.ts';
import type { PublishResult } from './load-generator-protocol.ts';
import { PlatformProcess } from './platform-process.ts';
import { CpuMeter, rssKiB } from './proc-stats.ts';
import type { CpuReport } from './proc-stats.ts';
import { ThreadMeter } from './thread-stats.ts';
import type { ThreadGroup } from './thread-stats.ts';
import { benchTempDir, startBenchInfluxd } from './bench-resources.ts';
import { startInfluxSink } from './influx-sink.ts';
import { progress, sleep } from './progress.ts';
import { registerDevices } from './register-devices.ts';

export interface E2eVariant {
  readonly name: string;
  readonly readingsPerMessage: number;
  readonly messagesPerDevice: number;
  /** Publishing stops starting new messages after this. */
  readonly maxSeconds: number;
}

export interface E2eOptions {
  readonly devices: number;
  readonly window: number;
  readonly generators: number;
  readonly variants: readonly E2eVariant[];
  /** Run the platform with --cpu-prof; profiles are kept in this folder. */
  readonly cpuProfDir?: string;
  /** More platform config keys (e.g. `acceptWorkers` for the workers bench). */
  readonly platformConfig?: ConfigInput;
  /** The devices' program: mqtt.js clients (default) or the light generator on raw sockets. */
  readonly generatorKind?: LoadGeneratorKind;
  /** Where the readings go: a fresh influxd (default), or a sink standing in for InfluxDB on another machine (influx-sink.ts). */
  readonly influx?: 'influxd' | 'sink';
  /**
   * Niceness of the load generators and the sink (default 0). 19 stands them on other machines
   * as far as one machine can: they take only the cycles the platform leaves.
   */
  readonly othersNice?: number;
}

export interface E2eVariantResult {
  readonly name: string;
  readonly readingsPerMessage: number;
  readonly messages: number;
  readonly readings: number;
  /** First publish → every reading visible in InfluxDB. */
  readonly seconds: number;
  readonly readingsPerSec: number;
  /** First publish → last PUBACK. */
  readonly ackSeconds: number;
  readonly ackedReadingsPerSec: number;
  /** Last PUBACK → visible in InfluxDB (the spool's drain lag). */
  readonly drainLagSec: number;
  readonly ackMsP50: number;
  readonly ackMsP99: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly capped: boolean;
  readonly complete: boolean;
  /** Platform VmRSS before and right after the variant, and after a full GC that follows. */
  readonly platformRssBeforeKiB: number;
  readonly platformRssKiB: number;
  readonly platformRssAfterGcKiB: number;
  /** After that GC (its /metrics): live V8 heap, committed V8 heap, memory outside the heap held by JS objects (Buffers). */
  readonly platformHeapKiB: number;
  readonly platformHeapTotalKiB: number;
  readonly platformExternalKiB: number;
  /** CPU time per stored reading (load-independent cost; µs). */
  readonly platformCpuUsPerReading: number;
  readonly influxdCpuUsPerReading: number;
  readonly cpu: CpuReport;
  /** The platform's cores by thread: main, accept workers, V8 helpers (GC), libuv pool. */
  readonly platformThreads: Partial<Record<ThreadGroup, number>>;
  /** Share of the run the platform's main thread was ready to run but waited for a core (schedstat), when known. */
  readonly platformMainWaiting?: number;
}

export interface E2eResult {
  readonly devices: number;
  readonly window: number;
  readonly generators: number;
  readonly registerSeconds: number;
  readonly variants: readonly E2eVariantResult[];
  readonly cpuProfiles: readonly string[];
}

async function countVisible(influx: InfluxHttp): Promise<number> {
  const series = await influx.query('SELECT count(pm25) FROM air');
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

export async function benchE2e(o: E2eOptions): Promise<E2eResult> {
  const tmp = await benchTempDir('shanshui-bench-e2e-');
  const dir = tmp.dir;
  let influxd: { readonly url: string; readonly pid: number; stop(): Promise<void> } | undefined;
  const influxName = o.influx === 'sink' ? 'influx sink' : 'influxd';
  let platform: PlatformProcess | undefined;
  const generators: LoadGeneratorProcess[] = [];
  const profDir = path.join(dir, 'prof');
  try {
    influxd = o.influx === 'sink' ? await startInfluxSink(o.othersNice) : await startBenchInfluxd(path.join(dir, 'influxdb'));
    platform = await PlatformProcess.start({
      dataDir: path.join(dir, 'platform'),
      influxUrl: influxd.url,
      logFile: path.join(dir, 'platform.log'),
      nodeArgs: o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
      fdNeed: o.devices + 1024,
      inspector: true,
      ...(o.platformConfig ? { config: o.platformConfig } : {}),
    });
    progress(`e2e: platform pid ${platform.pid} (${platform.mqttUrl}), ${influxName} pid ${influxd.pid}`);
    const influx = new InfluxHttp({ url: influxd.url, database: 'shanshui' });
    const reg = await registerDevices({ httpUrl: platform.httpUrl, apiToken: platform.apiToken, prefix: 'e2e', count: o.devices, concurrency: 16 });

    const per = Math.ceil(o.devices / o.generators);
    for (let g = 0; g < o.generators; g++) {
      const slice = reg.devices.slice(g * per, (g + 1) * per);
      if (slice.length === 0) continue;
      const gen = await LoadGeneratorProcess.start(`gen${g}`, slice.length, o.generatorKind, o.othersNice);
      generators.push(gen);
      const c = await gen.connect({ url: platform.mqttUrl, devices: slice, keepaliveSec: 60, subscribeDown: false, concurrency: 50 });
      if (c.failed > 0) throw new Error(`e2e: ${c.failed} devices did not connect: ${c.firstError}`);
    }
    progress(`e2e: ${o.devices} devices connected from ${generators.length} load-generator process(es), window ${o.window} each`);

    const tsBase = Date.now() - 6 * 3_600_000;
    let readingOffset = 0;
    let seqStart = 1;
    let expected = 0;
    const results: E2eVariantResult[] = [];
    for (const v of o.variants) {
      const planned = o.devices * v.messagesPerDevice * v.readingsPerMessage;
      progress(`e2e [${v.name}]: ${o.devices} devices × ${v.messagesPerDevice} messages × ${v.readingsPerMessage} reading(s) = ${planned} readings (cap ${v.maxSeconds} s)`);
      const platformRssBefore = rssKiB(platform.pid) ?? 0;
      const cpu = new CpuMeter({ platform: platform.pid, [influxName]: influxd.pid, bench: process.pid });
      generators.forEach((g, i) => cpu.add(`generator${generators.length > 1 ? i : ''}`, g.pid));
      const threads = new ThreadMeter(platform.pid);
      let publishing = true;
      let visible = 0;
      let visibleAt = 0;
      let lastReport = performance.now();
      const runs = Promise.all(
        generators.map((g) =>
          g.publish({ messagesPerDevice: v.messagesPerDevice, readingsPerMessage: v.readingsPerMessage, window: o.window, tsBase, readingOffset, seqStart, maxSeconds: v.maxSeconds }),
        ),
      ).finally(() => (publishing = false));
      const runsEnded = runs.then(
        () => undefined,
        () => undefined,
      );
      // Poll what InfluxDB shows: slowly while publishing, finely once the acks are in. The slow poll's wait ends when
      // publishing does: a whole 500 ms sleep after the last PUBACK would count up to half a second of an idle platform
      // in the run's time (a 4-second run's readings/s and cores came out up to 12 % low, in steps of that half second).
      const poll = (async (): Promise<void> => {
        while (publishing) {
          await Promise.race([sleep(500), runsEnded]);
          if (!publishing) break;
          visible = (await countVisible(influx).catch(() => visible)) - expected;
          const now = performance.now();
          if (now - lastReport > 5000) {
            lastReport = now;
            const acked = generators.reduce((n, g) => n + g.readingsAcked, 0);
            progress(`e2e [${v.name}]: acked ${acked}, visible in InfluxDB ${visible}`);
          }
        }
      })();
      const published = await runs;
      await poll;
      const readings = published.reduce((n, r) => n + r.readings, 0);
      const drainDeadline = Date.now() + 120_000;
      for (;;) {
        visible = (await countVisible(influx).catch(() => visible)) - expected;
        if (visible >= readings) {
          visibleAt = performance.timeOrigin + performance.now();
          break;
        }
        if (Date.now() > drainDeadline) break;
        const now = performance.now();
        if (now - lastReport > 5000) {
          lastReport = now;
          progress(`e2e [${v.name}]: all ${readings} acked; ${visible} visible, waiting for the drain`);
        }
        await sleep(100);
      }
      const cpuReport = cpu.stop();
      const platformThreads = threads.stop();
      const platformRss = rssKiB(platform.pid) ?? 0;
      await platform.collectGarbage();
      await sleep(500);
      const platformRssAfterGc = rssKiB(platform.pid) ?? 0;
      const metricKiB = async (name: string): Promise<number> => ((await platform!.metric(name).catch(() => 0)) || 0) / 1024;
      const platformHeapKiB = await metricKiB('shanshui_process_nodejs_heap_size_used_bytes');
      const platformHeapTotalKiB = await metricKiB('shanshui_process_nodejs_heap_size_total_bytes');
      const platformExternalKiB = await metricKiB('shanshui_process_nodejs_external_memory_bytes');
      const complete = visibleAt > 0;
      if (!complete) progress(`e2e [${v.name}]: WARNING only ${visible} of ${readings} readings visible after 120 s`);
      const first = Math.min(...published.map((r) => r.firstPublishAt));
      const lastAck = Math.max(...published.map((r) => r.lastAckAt));
      const end = complete ? visibleAt : performance.timeOrigin + performance.now();
      const seconds = (end - first) / 1000;
      const ackSeconds = (lastAck - first) / 1000;
      const firstError = published.find((r: PublishResult) => r.firstError)?.firstError;
      const result: E2eVariantResult = {
        name: v.name,
        readingsPerMessage: v.readingsPerMessage,
        messages: published.reduce((n, r) => n + r.messages, 0),
        readings,
        seconds,
        readingsPerSec: (complete ? readings : visible) / seconds,
        ackSeconds,
        ackedReadingsPerSec: readings / ackSeconds,
        drainLagSec: (end - lastAck) / 1000,
        ackMsP50: Math.max(...published.map((r) => r.ackMsP50)),
        ackMsP99: Math.max(...published.map((r) => r.ackMsP99)),
        errors: published.reduce((n, r) => n + r.errors, 0),
        ...(firstError ? { firstError } : {}),
        capped: published.some((r) => r.capped),
        complete,
        platformRssBeforeKiB: platformRssBefore,
        platformRssKiB: platformRss,
        platformRssAfterGcKiB: platformRssAfterGc,
        platformHeapKiB,
        platformHeapTotalKiB,
        platformExternalKiB,
        platformCpuUsPerReading: ((cpuReport.cores['platform'] ?? 0) * cpuReport.wallSec * 1e6) / Math.max(1, readings),
        influxdCpuUsPerReading: ((cpuReport.cores[influxName] ?? 0) * cpuReport.wallSec * 1e6) / Math.max(1, readings),
        cpu: cpuReport,
        platformThreads,
        ...(threads.mainWaiting !== undefined ? { platformMainWaiting: threads.mainWaiting } : {}),
      };
      results.push(result);
      progress(
        `e2e [${v.name}]: ${readings} readings in ${seconds.toFixed(1)} s = ${Math.round(result.readingsPerSec)}/s stored (acked ${Math.round(result.ackedReadingsPerSec)}/s, drain lag ${result.drainLagSec.toFixed(1)} s)`,
      );
      expected += readings;
      readingOffset += v.messagesPerDevice * v.readingsPerMessage;
      seqStart += v.messagesPerDevice;
    }

    for (const g of generators.splice(0)) await g.close();
    await platform.stop();
    const cpuProfiles: string[] = [];
    if (o.cpuProfDir) {
      await mkdir(o.cpuProfDir, { recursive: true });
      for (const f of await readdir(profDir).catch(() => [] as string[])) {
        const to = path.join(o.cpuProfDir, `platform-${f}`);
        await rename(path.join(profDir, f), to);
        cpuProfiles.push(to);
      }
    }
    return { devices: o.devices, window: o.window, generators: o.generators, registerSeconds: reg.seconds, variants: results, cpuProfiles };
  } catch (err) {
    const log = await readFile(path.join(dir, 'platform.log'), 'utf8').catch(() => '');
    if (log) progress(`e2e failed; platform log tail:\n${log.split('\n').slice(-20).join('\n')}`);
    throw err;
  } finally {
    for (const g of generators) await g.close().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    await influxd?.stop().catch(() => undefined);
    await tmp.remove();
  }
}
