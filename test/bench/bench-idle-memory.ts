/**
 * Part 3 — resident memory of connected idle devices: a fresh platform process registers N
 * devices, then N real mqtt.js clients (split over load-generator processes) connect, each
 * subscribed to its own downlink `shanshui/v1/{id}/down/#` as a real device is, and stay idle.
 * VmRSS of the platform before and after the connects gives KiB per device. The peer is
 * Mosquitto with the same N clients doing the same.
 */
import path from 'node:path';
import type { ManagedInfluxd } from '@shanshui/ingest';
import { benchStationId } from './air-reading.ts';
import { LoadGeneratorProcess } from './load-generator-process.ts';
import type { GeneratorDevice } from './load-generator-protocol.ts';
import { MosquittoProcess } from './mosquitto-process.ts';
import { PlatformProcess } from './platform-process.ts';
import { CpuMeter, rssKiB } from './proc-stats.ts';
import type { CpuReport } from './proc-stats.ts';
import { benchTempDir, startBenchInfluxd } from './bench-resources.ts';
import { progress, sleep } from './progress.ts';
import { registerDevices } from './register-devices.ts';

/** Devices connected before the 'before' reading (see connectIdle). */
const WARM_UP_DEVICES = 20;

export interface IdleMemoryOptions {
  readonly devices: number;
  readonly generators: number;
  readonly keepaliveSec: number;
  /** Also measure Mosquitto with the same clients. */
  readonly mosquitto: boolean;
}

export interface IdleBrokerResult {
  readonly broker: string;
  readonly connected: number;
  /** Devices connected between the two RSS readings (all but the warm-up ones). */
  readonly measured: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly connectSeconds: number;
  /** VmRSS right after start (before any device exists). */
  readonly rssStartKiB: number;
  /** VmRSS with every device registered and the warm-up devices connected. */
  readonly rssBeforeKiB: number;
  /** VmRSS with every device connected and idle (after a full GC where the broker has one). */
  readonly rssAfterKiB: number;
  /** VmRSS with every device connected, before that GC: what `ps` showed a moment earlier. */
  readonly rssAfterNoGcKiB: number;
  readonly perDeviceKiB: number;
  /** V8 heap in use before and after the connects, each after a full GC (the platform's /metrics; undefined for Mosquitto). */
  readonly heapBeforeKiB?: number;
  readonly heapAfterKiB?: number;
  /** Client side, for scale: RSS of the load generators with all clients connected. */
  readonly generatorRssKiB: number;
  readonly cpu: CpuReport;
}

export interface IdleMemoryResult {
  readonly devices: number;
  readonly registerSeconds: number;
  readonly platform?: IdleBrokerResult;
  /** Why the platform was not measured (the peer may still have been). */
  readonly platformError?: string;
  readonly mosquitto?: IdleBrokerResult;
}

/** Connects `devices` through fresh generator processes, measures, disconnects. */
async function connectIdle(
  name: string,
  url: string,
  pid: number,
  devices: readonly GeneratorDevice[],
  o: IdleMemoryOptions,
  rssStartKiB: number,
  connectedCount: () => Promise<number>,
  node?: { heapKiB: () => Promise<number>; collectGarbage: () => Promise<void> },
): Promise<IdleBrokerResult> {
  // Read memory after a full GC: live data, not garbage a scavenge has not reached yet.
  const settled = async (): Promise<{ rss: number; heap: number | undefined }> => {
    if (node) {
      await node.collectGarbage();
      await sleep(500);
    }
    return { rss: rssKiB(pid) ?? 0, heap: await node?.heapKiB() };
  };
  const generators: LoadGeneratorProcess[] = [];
  try {
    const per = Math.ceil(devices.length / o.generators);
    for (let g = 0; g < o.generators; g++) {
      const slice = devices.slice(g * per, (g + 1) * per);
      if (slice.length > 0) generators.push(await LoadGeneratorProcess.start(`idle${g}`, slice.length));
    }
    // Warm-up: the first connections pay one-time costs (mqtt-packet builds a cache of 65,536
    // packet-id Buffers, code gets compiled); they must not count as per-device memory.
    const warm = devices.slice(0, WARM_UP_DEVICES);
    const first = await generators[0]!.connect({ url, devices: warm, keepaliveSec: o.keepaliveSec, subscribeDown: true, concurrency: 10 });
    if (first.failed > 0) throw new Error(`idle [${name}]: warm-up devices did not connect: ${first.firstError}`);
    await sleep(2000);
    const before = await settled();
    const rssBeforeKiB = before.rss;
    const heapBeforeKiB = before.heap;
    const cpu = new CpuMeter({ [name]: pid, bench: process.pid });
    generators.forEach((g, i) => cpu.add(`generator${i}`, g.pid));
    const started = performance.now();
    const timer = setInterval(() => {
      const n = generators.reduce((s, g) => s + g.connected, 0);
      progress(`idle [${name}]: ${n}/${devices.length} connected, broker RSS ${Math.round((rssKiB(pid) ?? 0) / 1024)} MiB`);
    }, 3000);
    let connected = 0;
    let failed = 0;
    let firstError: string | undefined;
    let generatorRssKiB = 0;
    try {
      const results = await Promise.all(
        generators.map((g, i) =>
          g.connect({
            url,
            devices: devices.slice(Math.max(i * per, warm.length), (i + 1) * per),
            keepaliveSec: o.keepaliveSec,
            subscribeDown: true,
            concurrency: 100,
          }),
        ),
      );
      for (const r of results) {
        connected += r.ok;
        failed += r.failed;
        firstError ??= r.firstError;
        generatorRssKiB += r.rssKiB;
      }
    } finally {
      clearInterval(timer);
    }
    const connectSeconds = (performance.now() - started) / 1000;
    progress(`idle [${name}]: ${connected} connected (${failed} failed) in ${connectSeconds.toFixed(1)} s${firstError ? ` — first error: ${firstError}` : ''}`);
    // Let the broker settle (presence writes, buffers), then read RSS twice and keep the later.
    const deadline = Date.now() + 30_000;
    while ((await connectedCount()) < connected + warm.length && Date.now() < deadline) await sleep(250);
    await sleep(3000);
    const cpuReport = cpu.stop();
    const rssAfterNoGcKiB = rssKiB(pid) ?? 0;
    const after = await settled();
    const rssAfterKiB = after.rss;
    const heapAfterKiB = after.heap;
    return {
      broker: name,
      connected: connected + warm.length,
      measured: connected,
      failed,
      ...(firstError ? { firstError } : {}),
      connectSeconds,
      rssStartKiB,
      rssBeforeKiB,
      rssAfterKiB,
      rssAfterNoGcKiB,
      perDeviceKiB: connected > 0 ? (rssAfterKiB - rssBeforeKiB) / connected : 0,
      ...(heapBeforeKiB !== undefined && heapAfterKiB !== undefined ? { heapBeforeKiB, heapAfterKiB } : {}),
      generatorRssKiB,
      cpu: cpuReport,
    };
  } finally {
    for (const g of generators) await g.close().catch(() => undefined);
  }
}

export async function benchIdleMemory(o: IdleMemoryOptions): Promise<IdleMemoryResult> {
  const tmp = await benchTempDir('shanshui-bench-idle-');
  const dir = tmp.dir;
  let influxd: ManagedInfluxd | undefined;
  let platform: PlatformProcess | undefined;
  let mosquitto: MosquittoProcess | undefined;
  try {
    let platformResult: IdleBrokerResult | undefined;
    let platformError: string | undefined;
    let registerSeconds = 0;
    try {
      influxd = await startBenchInfluxd(path.join(dir, 'influxdb'));
      platform = await PlatformProcess.start({ dataDir: path.join(dir, 'platform'), influxUrl: influxd.url, logFile: path.join(dir, 'platform.log'), fdNeed: o.devices + 1024, inspector: true });
      const p = platform;
      await sleep(1000);
      const rssStart = rssKiB(p.pid) ?? 0;
      progress(`idle: platform pid ${p.pid}, RSS at start ${Math.round(rssStart / 1024)} MiB; registering ${o.devices} devices`);
      const reg = await registerDevices({ httpUrl: p.httpUrl, apiToken: p.apiToken, prefix: 'idle', count: o.devices, concurrency: 32 });
      registerSeconds = reg.seconds;
      platformResult = await connectIdle(
        'platform',
        p.mqttUrl,
        p.pid,
        reg.devices,
        o,
        rssStart,
        () => p.metric('shanshui_connected_devices'),
        { heapKiB: async () => (await p.metric('shanshui_process_nodejs_heap_size_used_bytes')) / 1024, collectGarbage: () => p.collectGarbage() },
      );
      progress(`idle [platform]: RSS ${Math.round(platformResult.rssBeforeKiB / 1024)} → ${Math.round(platformResult.rssAfterKiB / 1024)} MiB = ${platformResult.perDeviceKiB.toFixed(1)} KiB per device`);
    } catch (err) {
      // The peer is still worth measuring.
      platformError = err instanceof Error ? err.message : String(err);
      progress(`idle [platform] FAILED: ${platformError}`);
    } finally {
      await platform?.stop();
      await influxd?.stop();
    }

    let mosquittoResult: IdleBrokerResult | undefined;
    if (o.mosquitto && MosquittoProcess.available()) {
      mosquitto = await MosquittoProcess.start(dir, o.devices);
      const m = mosquitto;
      await sleep(500);
      const rssStartM = rssKiB(m.pid) ?? 0;
      progress(`idle: mosquitto pid ${m.pid}, RSS at start ${rssStartM} KiB`);
      const anonymous = Array.from({ length: o.devices }, (_, i) => ({ id: benchStationId('idle', i), password: '', index: i }));
      // Mosquitto has no device count to ask; the clients' CONNACKs are the confirmation.
      mosquittoResult = await connectIdle('mosquitto', m.url, m.pid, anonymous, o, rssStartM, async () => Number.MAX_SAFE_INTEGER);
      progress(`idle [mosquitto]: RSS ${Math.round(mosquittoResult.rssBeforeKiB / 1024)} → ${Math.round(mosquittoResult.rssAfterKiB / 1024)} MiB = ${mosquittoResult.perDeviceKiB.toFixed(1)} KiB per device`);
      await mosquitto.stop();
    } else if (o.mosquitto) {
      progress('idle: mosquitto not installed; peer skipped');
    }
    if (!platformResult && !mosquittoResult) throw new Error(platformError ?? 'nothing measured');
    return {
      devices: o.devices,
      registerSeconds,
      ...(platformResult ? { platform: platformResult } : {}),
      ...(platformError ? { platformError } : {}),
      ...(mosquittoResult ? { mosquitto: mosquittoResult } : {}),
    };
  } finally {
    await mosquitto?.stop().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    await influxd?.stop().catch(() => undefined);
    await tmp.remove();
  }
}
