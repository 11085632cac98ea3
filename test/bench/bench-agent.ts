/**
 * Part 5 — the edge agent (issue 6, 17): resident memory idle and under load, and the backlog
 * drain rate after an outage. The agent (`createAgent`) runs as its own process against a fresh
 * platform process with its own influxd; its peer is a bare mqtt.js client process (no buffer,
 * no sources) registered as a second station on the same platform. Both programs run as the
 * agent ships: bundled by the same esbuild setup as `npm run agent:build` and run as plain
 * JavaScript — so neither carries Node's TypeScript stripper (about 17 MiB of RSS), and the
 * peer carries nothing but mqtt.js and its IPC channel:
 *   1. idle: both connected and subscribed to their down/#, nothing to send → VmRSS of each;
 *   2. load: the agent's simulated source at a fixed high rate (remote config through the API,
 *      as an operator sets it), the peer publishing the same readings/s, one reading per QoS 1
 *      message → VmRSS and CPU of each;
 *   3. outage: the platform stops; the agent takes N readings into its durable buffer; the
 *      platform restarts on the same data and ports → from the agent's reconnection until
 *      InfluxDB shows all N: readings/s. Peer: the bare client publishes N readings to the
 *      restarted platform in the messages the agent sends (maxReadingsPerMessage readings,
 *      maxInflight in flight), as fast as it can → readings/s until all are visible;
 *   4. OPC-UA: the agent configured with an OPC-UA source (a node-opcua server in the bench
 *      process, one monitored item), idle again → VmRSS (node-opcua is loaded only now).
 */
import path from 'node:path';
import { AGENT_DEFAULTS } from '@shanshui/edge-agent';
import { InfluxHttp } from '@shanshui/ingest';
import type { ManagedInfluxd } from '@shanshui/ingest';
import { AgentProcess, AGENT_PROGRAM_SOURCE } from './agent-process.ts';
import { BareClientProcess, BARE_CLIENT_PROGRAM_SOURCE } from './bare-client-process.ts';
import { bundleNodeProgram } from '../../scripts/bundle-node-program.ts';
import { NS, freePort, startTestOpcuaServer } from '@shanshui/edge-agent/testing';
import type { TestOpcuaServer } from '@shanshui/edge-agent/testing';
import { PlatformProcess } from './platform-process.ts';
import { CpuMeter, rssKiB } from './proc-stats.ts';
import type { CpuReport } from './proc-stats.ts';
import { benchTempDir, startBenchInfluxd } from './bench-resources.ts';
import { progress, sleep } from './progress.ts';
import { registerDevices } from './register-devices.ts';

export interface AgentBenchOptions {
  /** Seconds both stay connected and idle before their RSS is read. */
  readonly idleSeconds: number;
  /** Seconds of the load phase. */
  readonly loadSeconds: number;
  /** The simulated source's interval under load (0.002 = 500 readings/s). */
  readonly loadIntervalSec: number;
  /** Readings buffered during the outage. */
  readonly backlogReadings: number;
}

export interface AgentBenchResult {
  readonly idle: { readonly agentRssKiB: number; readonly peerRssKiB: number };
  readonly load: {
    readonly seconds: number;
    /** Readings the agent's source produced (taken into the buffer) and the uplink got acknowledged, per second. */
    readonly agentTakenPerSec: number;
    readonly agentAckedPerSec: number;
    readonly peerAckedPerSec: number;
    readonly agentRssKiB: number;
    readonly peerRssKiB: number;
    /** Cores each used on average over the phase. */
    readonly agentCores: number;
    readonly peerCores: number;
    readonly cpu: CpuReport;
  };
  readonly drain: {
    readonly readings: number;
    /** Seconds the agent took to commit the N readings to its buffer (while the platform was down). */
    readonly bufferSeconds: number;
    readonly bufferBytes: number;
    /** Agent's reconnection → all N visible in InfluxDB. */
    readonly seconds: number;
    readonly readingsPerSec: number;
    readonly agentRssKiB: number;
    /** The peer: first publish → all N visible. */
    readonly peerSeconds: number;
    readonly peerReadingsPerSec: number;
    readonly readingsPerMessage: number;
    readonly inflight: number;
    readonly complete: boolean;
    readonly cpu: CpuReport;
  };
  /** Idle again with an OPC-UA source (one monitored item on a local node-opcua server). */
  readonly opcua?: { readonly agentRssKiB: number };
}


async function countOf(influx: InfluxHttp, station: string): Promise<number> {
  const series = await influx.query(`SELECT count(pm25) FROM air WHERE station = '${station}'`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`agent bench: ${what} not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

export async function benchAgent(o: AgentBenchOptions): Promise<AgentBenchResult> {
  const tmp = await benchTempDir('shanshui-bench-agent-');
  let influxd: ManagedInfluxd | undefined;
  let platform: PlatformProcess | undefined;
  let agent: AgentProcess | undefined;
  let peer: BareClientProcess | undefined;
  let opcuaServer: TestOpcuaServer | undefined;
  const programs = path.join(tmp.dir, 'programs');
  const platformOptions = (p?: PlatformProcess) => ({
    dataDir: path.join(tmp.dir, 'platform'),
    influxUrl: influxd!.url,
    logFile: path.join(tmp.dir, 'platform.log'),
    ...(p ? { mqttPort: p.mqttPort, httpPort: p.httpPort } : {}),
  });
  try {
    // Bundled apart, so the peer's file holds mqtt.js and its own few lines only.
    await bundleNodeProgram({ agent: AGENT_PROGRAM_SOURCE }, path.join(programs, 'agent'));
    await bundleNodeProgram({ peer: BARE_CLIENT_PROGRAM_SOURCE }, path.join(programs, 'peer'));
    const agentProgram = path.join(programs, 'agent', 'agent.js');
    const peerProgram = path.join(programs, 'peer', 'peer.js');
    influxd = await startBenchInfluxd(path.join(tmp.dir, 'influxdb'));
    platform = await PlatformProcess.start(platformOptions());
    const p0 = platform;
    const influx = new InfluxHttp({ url: influxd.url, database: 'shanshui' });
    const reg = await registerDevices({ httpUrl: platform.httpUrl, apiToken: platform.apiToken, prefix: 'agent', count: 2, concurrency: 2 });
    const [a, b] = reg.devices as [(typeof reg.devices)[0], (typeof reg.devices)[0]];
    const putConfig = async (config: unknown): Promise<void> => {
      const res = await fetch(`${platform!.httpUrl}/api/v1/stations/${a.id}/config`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${platform!.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(config),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`agent bench: PUT config ${res.status} ${text.slice(0, 300)}`);
    };

    agent = await AgentProcess.start(agentProgram);
    await agent.run({
      dir: path.join(tmp.dir, 'agent'),
      credentials: { stationId: a.id, clientId: a.id, username: a.id, password: a.password, mqtt: { tcp: p0.mqttUrl }, domain: 'air' },
      config: { version: 1, heartbeatSec: 60, sources: [] },
      reconnectMinMs: 200,
      reconnectMaxMs: 1000,
    });
    peer = await BareClientProcess.start(peerProgram);
    await peer.connect(p0.mqttUrl, b.id, b.password);
    const ag = agent;
    await until('agent connected', 60_000, async () => ((await ag.stats()).uplinkState === 'connected' ? true : undefined));
    progress(`agent: agent pid ${agent.pid}, bare mqtt.js peer pid ${peer.pid}, platform pid ${platform.pid}; idle ${o.idleSeconds} s`);

    // 1. Idle.
    await sleep(o.idleSeconds * 1000);
    const idle = { agentRssKiB: rssKiB(agent.pid) ?? 0, peerRssKiB: rssKiB(peer.pid) ?? 0 };
    progress(`agent idle: RSS ${Math.round(idle.agentRssKiB / 1024)} MiB, bare client ${Math.round(idle.peerRssKiB / 1024)} MiB`);

    // 2. Load: the source at a fixed rate (remote config), the peer at the same rate.
    const ratePerSec = 1 / o.loadIntervalSec;
    const loadCpu = new CpuMeter({ agent: agent.pid, peer: peer.pid, platform: platform.pid });
    const before = await agent.stats();
    await putConfig({ version: 2, heartbeatSec: 60, sources: [{ kind: 'simulated', intervalSec: o.loadIntervalSec }] });
    const loadStarted = performance.now();
    const peerLoad = peer.publish({ id: b.id, readings: Math.ceil(ratePerSec * o.loadSeconds), readingsPerMessage: 1, window: AGENT_DEFAULTS.maxInflight, tsStart: Date.now() - 6 * 3_600_000, maxSeconds: o.loadSeconds + 5, messagesPerSec: ratePerSec });
    progress(`agent load: simulated source every ${o.loadIntervalSec * 1000} ms (${Math.round(ratePerSec)} readings/s) for ${o.loadSeconds} s; the peer publishes as many`);
    await sleep(o.loadSeconds * 1000);
    const after = await agent.stats();
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const agentRssLoad = rssKiB(agent.pid) ?? 0;
    const peerRssLoad = rssKiB(peer.pid) ?? 0;
    const cpu = loadCpu.stop();
    await putConfig({ version: 3, heartbeatSec: 60, sources: [] });
    const peerDone = await peerLoad;
    const load = {
      seconds: loadSeconds,
      agentTakenPerSec: (after.readingsTaken - before.readingsTaken) / loadSeconds,
      agentAckedPerSec: (after.readingsAcked - before.readingsAcked) / loadSeconds,
      peerAckedPerSec: peerDone.readings / ((peerDone.lastAckAt - peerDone.firstPublishAt) / 1000),
      agentRssKiB: agentRssLoad,
      peerRssKiB: peerRssLoad,
      agentCores: cpu.cores['agent'] ?? 0,
      peerCores: cpu.cores['peer'] ?? 0,
      cpu,
    };
    progress(`agent load: took ${Math.round(load.agentTakenPerSec)}/s, acked ${Math.round(load.agentAckedPerSec)}/s; RSS ${Math.round(agentRssLoad / 1024)} MiB (peer ${Math.round(peerRssLoad / 1024)} MiB); CPU ${load.agentCores.toFixed(2)} cores (peer ${load.peerCores.toFixed(2)})`);
    await until('the live buffer drained', 120_000, async () => ((await ag.stats()).bufferDepth === 0 ? true : undefined));
    await peer.close();
    peer = undefined;

    // 3. Outage: platform down, N readings into the agent's buffer, platform back.
    await platform.stop();
    platform = undefined;
    await until('agent noticed the outage', 60_000, async () => ((await ag.stats()).uplinkState !== 'connected' ? true : undefined));
    const before3 = await countOf(influx, a.id);
    const bufferSeconds = await agent.take(o.backlogReadings, 500, Date.now() - 3 * 3_600_000);
    const buffered = await agent.stats();
    progress(`agent outage: ${o.backlogReadings} readings into the buffer in ${bufferSeconds.toFixed(1)} s (${Math.round(buffered.bufferBytes / 1024 / 1024)} MiB); restarting the platform`);
    const connectsBefore = buffered.connects;
    platform = await PlatformProcess.start(platformOptions(p0));
    const drainCpu = new CpuMeter({ agent: agent.pid, platform: platform.pid, influxd: influxd.pid });
    const reconnected = await until('agent reconnected', 60_000, async () => {
      const s = await ag.stats();
      return s.connects > connectsBefore && s.lastConnectedAt ? Date.parse(s.lastConnectedAt) : undefined;
    });
    let complete = true;
    const doneAt = await until('backlog stored', 300_000, async () => ((await countOf(influx, a.id)) - before3 >= o.backlogReadings ? Date.now() : undefined)).catch(() => {
      complete = false;
      return Date.now();
    });
    const drainSeconds = (doneAt - reconnected) / 1000;
    const drainCpuReport = drainCpu.stop();
    const agentRssDrain = rssKiB(agent.pid) ?? 0;
    progress(`agent drain: ${o.backlogReadings} readings stored ${drainSeconds.toFixed(1)} s after reconnecting = ${Math.round(o.backlogReadings / drainSeconds)}/s`);

    // Peer drain: the same backlog from the bare client, in the agent's message size and window.
    peer = await BareClientProcess.start(peerProgram);
    await peer.connect(platform.mqttUrl, b.id, b.password);
    const beforePeer = await countOf(influx, b.id);
    const pr = await peer.publish({
      id: b.id,
      readings: o.backlogReadings,
      readingsPerMessage: AGENT_DEFAULTS.maxReadingsPerMessage,
      window: AGENT_DEFAULTS.maxInflight,
      tsStart: Date.now() - 5 * 3_600_000,
      maxSeconds: 300,
    });
    const peerDoneAt = await until('peer backlog stored', 300_000, async () => ((await countOf(influx, b.id)) - beforePeer >= pr.readings ? Date.now() : undefined));
    const peerSeconds = (peerDoneAt - pr.firstPublishAt) / 1000;
    progress(`agent drain peer (bare mqtt.js, ${AGENT_DEFAULTS.maxReadingsPerMessage} readings/msg, window ${AGENT_DEFAULTS.maxInflight}): ${pr.readings} readings in ${peerSeconds.toFixed(1)} s = ${Math.round(pr.readings / peerSeconds)}/s`);

    // 4. Idle with an OPC-UA source: node-opcua loads only now.
    let opcua: AgentBenchResult['opcua'];
    try {
      const port = await freePort();
      opcuaServer = await startTestOpcuaServer({ port, pkiDir: path.join(tmp.dir, 'opcua-pki') });
      const takenBefore = (await ag.stats()).readingsTaken;
      await putConfig({ version: 4, heartbeatSec: 60, sources: [{ kind: 'opcua', endpointUrl: opcuaServer.endpointUrl, items: [{ nodeId: `${NS};s=Pump1.Flow`, metric: 'pm25' }] }] });
      await until('a reading from the OPC-UA source', 60_000, async () => ((await ag.stats()).readingsTaken > takenBefore ? true : undefined), 200);
      await sleep(o.idleSeconds * 1000);
      opcua = { agentRssKiB: rssKiB(agent.pid) ?? 0 };
      progress(`agent with an OPC-UA source, idle: RSS ${Math.round(opcua.agentRssKiB / 1024)} MiB`);
    } catch (err) {
      progress(`agent OPC-UA phase skipped: ${err instanceof Error ? err.message : String(err)}`);
    }

    return {
      idle,
      load,
      drain: {
        readings: o.backlogReadings,
        bufferSeconds,
        bufferBytes: buffered.bufferBytes,
        seconds: drainSeconds,
        readingsPerSec: o.backlogReadings / drainSeconds,
        agentRssKiB: agentRssDrain,
        peerSeconds,
        peerReadingsPerSec: pr.readings / peerSeconds,
        readingsPerMessage: AGENT_DEFAULTS.maxReadingsPerMessage,
        inflight: AGENT_DEFAULTS.maxInflight,
        complete,
        cpu: drainCpuReport,
      },
      ...(opcua ? { opcua } : {}),
    };
  } finally {
    await opcuaServer?.shutdown().catch(() => undefined);
    await agent?.close().catch(() => undefined);
    await peer?.close().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    await influxd?.stop().catch(() => undefined);
    await tmp.remove().catch(() => undefined);
  }
}
