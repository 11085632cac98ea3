/**
 * The demo's edge gateway, set up the way a field technician does it, through the platform's
 * own API: register the gateway's station (a reservoir, 水利局) and, as its child, the
 * reservoir's 水源地 water-quality station; set the gateway's remote config (an HJ 212 listener
 * mapping the 数采仪's MN to the child, an SL 651 listener for the reservoir's own RTU); create a
 * one-time bootstrap token; provision an agent folder with it; run the agent in-process; and
 * plug a simulated 数采仪 and a simulated RTU into its ports over TCP. Readings then take the
 * field path: device → TCP → agent → buffer → MQTT → platform → InfluxDB → rules and map.
 * A simulated sluice-gate controller (Modbus TCP) completes the loop the other way: the agent
 * polls its outflow as a reading, and the config maps a `set_gate_opening` command to its
 * opening register, so a command sent from the platform is answered and the outflow changes.
 * Idempotent across demo restarts: existing stations are kept, a provisioned folder whose
 * credentials still work is reused, and the config is published again only when it changes
 * (listener ports are kept while they are free).
 */
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { freePort } from '@shanshui/ingest';
import type { Platform } from '@shanshui/ingest';
import { createAgent, loadCredentials, provisionAgent, startSimulatedGate, startSimulatedLogger, startSimulatedRtu } from '@shanshui/edge-agent';
import type { Agent, SimulatedGate, SimulatedLogger, SimulatedRtu } from '@shanshui/edge-agent';
import { AgentConfigSchema } from '@shanshui/models';
import type { AgentConfig, StationInput } from '@shanshui/models';

/** The gateway's station: 流溪河水库 in 从化, with the reservoir's own SL 651 RTU. */
export const DEMO_GATEWAY_STATION: StationInput = {
  id: 'demo-gw-rsv-001',
  name: '从化流溪河水库站（边缘网关）',
  domain: 'reservoir',
  lat: 23.7578,
  lon: 113.7795,
  region: '440117',
  department: 'water',
  attributes: { floodLimitLevel: 103, designFloodLevel: 106.5, checkFloodLevel: 108.2 },
};
/** The child station fed through the gateway by an HJ 212 数采仪: the reservoir's 水源地 水质自动监测站. */
export const DEMO_CHILD_STATION: StationInput = {
  id: 'demo-gw-water-001',
  name: '流溪河水库水源地水质自动监测站',
  domain: 'water',
  lat: 23.7561,
  lon: 113.7772,
  region: '440117',
  department: 'water',
  attributes: { waterBody: 'lake' },
  gatewayId: 'demo-gw-rsv-001',
};
/**
 * A pollution source behind the same gateway: the reservoir administration's gas-fired boiler
 * stack, whose CEMS 数采仪 sends HJ 212 minute and hour data (CN 2051/2061) with emission totals
 * (Cou). Reference O2 3.5 % (gas-fired boilers, GB 13271-2014); permit limits as on its 排污许可证.
 */
export const DEMO_STACK_STATION: StationInput = {
  id: 'demo-gw-stack-001',
  name: '流溪河水库管理处燃气锅炉排放口',
  domain: 'pollution_source',
  profile: 'flue-gas-cems',
  lat: 23.7589,
  lon: 113.7811,
  region: '440117',
  department: 'water',
  attributes: { o2Reference: 3.5, limit_so2: 50, limit_nox: 150, limit_dust: 20 },
  gatewayId: 'demo-gw-rsv-001',
};
/** The stack CEMS 数采仪's MN. */
export const DEMO_STACK_MN = '44011700000002';
/** The 数采仪's MN (设备唯一标识, 14 digits as on its label). */
export const DEMO_LOGGER_MN = '44011700000001';
/** The RTU's 遥测站地址 (10 hex digits). */
export const DEMO_RTU_ADDRESS = '0044011701';
/** Preferred listener ports (the README's examples); any free port when taken. */
const PREFERRED_PORTS = { hj212: 9212, sl651: 9651, modbus: 1502 } as const;
/** The gate controller's Modbus unit id, and its registers (holding, 0-based): opening in 0.1 %, outflow in 0.1 m³/s. */
export const DEMO_GATE = { slaveId: 1, openingAddress: 10, outflowAddress: 11 } as const;
/** The command the demo's config maps to the gate's opening register (engineering value: %). */
export const DEMO_GATE_COMMAND = 'set_gate_opening';
/** Heartbeats on `up/status` (device_status in InfluxDB), seconds: often enough to watch in a demo. */
const HEARTBEAT_SEC = 30;

export interface DemoGatewayOptions {
  readonly platform: Platform;
  /** The agent's folder, e.g. `{dataDir}/demo-agent`. */
  readonly dir: string;
  /** Seconds between the 数采仪's CN 2011 uploads. Default 5. */
  readonly loggerIntervalSec?: number;
  /** Seconds between the RTU's 定时报. Default 60. */
  readonly rtuIntervalSec?: number;
  readonly logger: Logger;
}

export interface DemoGateway {
  /** The gateway's station (the agent's MQTT identity; the RTU's readings). */
  readonly stationId: string;
  /** The child station the 数采仪's readings belong to. */
  readonly childStationId: string;
  readonly dir: string;
  readonly hj212Port: number;
  readonly sl651Port: number;
  readonly agent: Agent;
  readonly dataLogger: SimulatedLogger;
  /** The stack's CEMS 数采仪 (CN 2051/2061 with Cou). */
  readonly stackLogger: SimulatedLogger;
  /** The pollution-source child station. */
  readonly stackStationId: string;
  readonly rtu: SimulatedRtu;
  /** The spillway gate's controller (Modbus TCP), polled and commanded by the agent. */
  readonly gate: SimulatedGate;
  readonly modbusPort: number;
  stop(): Promise<void>;
}

interface ApiAnswer {
  status: number;
  body: unknown;
}

const LISTEN_HOST = '127.0.0.1';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, LISTEN_HOST, () => srv.close(() => resolve(true)));
  });
}

/** The port of the last run, else the preferred one, while free; else any free port. */
async function choosePort(last: number | undefined, preferred: number, taken: number[]): Promise<number> {
  for (const candidate of [last, preferred]) {
    if (candidate !== undefined && !taken.includes(candidate) && (await portIsFree(candidate))) return candidate;
  }
  return freePort();
}

export async function startDemoGateway(options: DemoGatewayOptions): Promise<DemoGateway> {
  const { platform, logger } = options;
  const config = platform.config;
  if (config.tls.cert) throw new Error('the demo gateway runs over plain HTTP and MQTT; it is skipped when TLS is configured');
  const apiHost = config.listeners.host === '0.0.0.0' || config.listeners.host === '::' ? '127.0.0.1' : config.listeners.host;
  const server = `http://${apiHost}:${platform.httpPort}`;
  const api = async (method: string, route: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(new URL(route, server), {
      method,
      headers: { authorization: `Bearer ${platform.apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const expect = (answer: ApiAnswer, ok: number[], what: string): void => {
    if (!ok.includes(answer.status)) throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  };
  const id = DEMO_GATEWAY_STATION.id;
  const childId = DEMO_CHILD_STATION.id;

  // 1. The stations, gateway first (kept when they exist: their history and alerts stay).
  for (const station of [DEMO_GATEWAY_STATION, DEMO_CHILD_STATION, DEMO_STACK_STATION]) {
    if ((await api('GET', `/api/v1/stations/${station.id}`)).status === 404) {
      expect(await api('POST', '/api/v1/stations', station), [201, 409], `register ${station.id}`);
    }
  }

  // 2. The gateway's remote config, published again only when it changes.
  const current = await api('GET', `/api/v1/stations/${id}/config`);
  const parsed = current.status === 200 ? AgentConfigSchema.safeParse((current.body as { config?: unknown }).config) : undefined;
  const running: AgentConfig | undefined = parsed?.success ? parsed.data : undefined;
  const lastPort = (kind: 'hj212' | 'sl651' | 'modbus'): number | undefined => {
    const source = running?.sources.find((s) => s.kind === kind);
    if (source?.kind === 'modbus') return source.transport.type === 'tcp' ? source.transport.port : undefined;
    return source?.kind === 'hj212' || source?.kind === 'sl651' ? source.port : undefined;
  };
  const hj212Port = await choosePort(lastPort('hj212'), PREFERRED_PORTS.hj212, []);
  const sl651Port = await choosePort(lastPort('sl651'), PREFERRED_PORTS.sl651, [hj212Port]);
  const modbusPort = await choosePort(lastPort('modbus'), PREFERRED_PORTS.modbus, [hj212Port, sl651Port]);
  const wanted = (version: number): AgentConfig =>
    AgentConfigSchema.parse({
      version,
      heartbeatSec: HEARTBEAT_SEC,
      sources: [
        {
          kind: 'hj212',
          port: hj212Port,
          host: LISTEN_HOST,
          stations: { [DEMO_LOGGER_MN]: childId, [DEMO_STACK_MN]: DEMO_STACK_STATION.id },
          // The stack's codes are read with the pollution-source tables (mg/m³, Cou in kg).
          domains: { [DEMO_LOGGER_MN]: 'water', [DEMO_STACK_MN]: 'pollution_source' },
        },
        // The reservoir's own RTU reports as the gateway's station (with a map, unmapped RTUs are dropped).
        { kind: 'sl651', port: sl651Port, host: LISTEN_HOST, stations: { [DEMO_RTU_ADDRESS]: id } },
        // The spillway gate's controller: its outflow polled as the reservoir's 出库流量, its
        // opening written by the platform's set_gate_opening (0–100 %, checked by platform and agent).
        {
          kind: 'modbus',
          transport: { type: 'tcp', host: LISTEN_HOST, port: modbusPort },
          groups: [{ slaveId: DEMO_GATE.slaveId, pollIntervalMs: 5000, points: [{ metric: 'outflow', table: 'holding', address: DEMO_GATE.outflowAddress, scale: 0.1 }] }],
          commands: [{ name: DEMO_GATE_COMMAND, slaveId: DEMO_GATE.slaveId, table: 'holding', address: DEMO_GATE.openingAddress, scale: 0.1, min: 0, max: 100 }],
        },
      ],
    });
  if (!running || JSON.stringify(wanted(running.version)) !== JSON.stringify(running)) {
    expect(await api('PUT', `/api/v1/stations/${id}/config`, wanted((running?.version ?? 0) + 1)), [200], `config of ${id}`);
  }

  // 3. Provisioning: reuse the folder while its credentials still open this station's account
  //    on this platform; otherwise a one-time bootstrap token, traded by the agent as on site.
  const dir = path.resolve(options.dir);
  let reuse = false;
  try {
    const stored = loadCredentials(dir);
    reuse = stored.stationId === id && stored.mqtt.tcp === `mqtt://${apiHost}:${platform.mqttPort}` && (await platform.registry.authenticate(id, stored.password));
  } catch {
    // not provisioned yet
  }
  if (!reuse) {
    const token = await api('POST', `/api/v1/stations/${id}/bootstrap-tokens`, { ttlSec: 600 });
    expect(token, [201], `bootstrap token for ${id}`);
    await provisionAgent({ server, token: (token.body as { token: string }).token, dir, timeoutMs: 10_000 });
    logger.info({ stationId: id, dir }, '演示网关已开通 demo gateway provisioned with a one-time bootstrap token');
  }

  // 4. The gate controller (the agent dials it), the agent, then the field devices plugged into
  //    its ports (they retry until the ports open).
  const gate = await startSimulatedGate({ port: modbusPort, host: LISTEN_HOST, ...DEMO_GATE, logger });
  let agent: Agent;
  try {
    agent = await createAgent({ dir, logger, reconnectMinMs: 500, reconnectMaxMs: 5000 });
  } catch (err) {
    await gate.stop();
    throw err;
  }
  const dataLogger = startSimulatedLogger({ port: hj212Port, host: LISTEN_HOST, mn: DEMO_LOGGER_MN, domain: 'water', intervalSec: options.loggerIntervalSec ?? 5, simulationIndex: 1, logger });
  const stackLogger = startSimulatedLogger({ port: hj212Port, host: LISTEN_HOST, mn: DEMO_STACK_MN, domain: 'pollution_source', intervalSec: options.loggerIntervalSec ?? 5, simulationIndex: 3, logger });
  const rtu = startSimulatedRtu({ port: sl651Port, host: LISTEN_HOST, station: DEMO_RTU_ADDRESS, intervalSec: options.rtuIntervalSec ?? 60, simulationIndex: 2, logger });

  let stopped = false;
  return {
    stationId: id,
    childStationId: childId,
    dir,
    hj212Port,
    sl651Port,
    agent,
    dataLogger,
    stackLogger,
    stackStationId: DEMO_STACK_STATION.id,
    rtu,
    gate,
    modbusPort,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([dataLogger.stop(), stackLogger.stop(), rtu.stop()]);
      await agent.stop();
      await gate.stop();
    },
  };
}
