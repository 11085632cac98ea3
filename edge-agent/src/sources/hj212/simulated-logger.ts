/**
 * A simulated HJ 212-2017 data logger (数采仪) for demos and field rehearsals: it connects to
 * an agent's HJ 212 listener over TCP, as a real logger does to its 数据中心, and uploads a
 * CN 2011 real-time data frame (实时数据) every interval — ST 21 (地表水) or 22 (空气), Flag 5
 * (2017 edition, reply wanted), `DataTime` on China Standard Time, each factor with its Rtd and
 * Flag N. Values come from the same per-domain simulation as the demo fleet, sent under the
 * standard factor codes (`w01001` pH, `w01009` 溶解氧, `w01019` 高锰酸盐指数, `w21003` 氨氮 …).
 * As a pollution-source logger (`domain: 'pollution_source'`, ST 31 废气) it uploads a boiler
 * stack's CEMS data instead: CN 2051 minute data every interval and CN 2061 hour data every
 * `hourlyEvery` uploads, each factor with Avg, Min, Max and — for pollutants and flue-gas flow —
 * its emission total Cou (concentration × flow × interval), as HJ 212-2017 §6.6 has it.
 * It counts the 9014 data acknowledgements the agent answers with. A refused or dropped
 * connection is retried every `reconnectMs`, as loggers do; an upload due while disconnected
 * is skipped (a real logger would resend it later as history — not simulated here).
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { hj212CodeTableFor } from '@shanshui/models';
import type { Domain } from '@shanshui/models';
import { createSimulationState, simulateValues } from '../simulated/simulate-reading.ts';
import type { SimulationState } from '../simulated/simulate-reading.ts';
import { Hj212FrameParser } from './frame-parser.ts';
import { formatHj212Time } from './hj212-time.ts';
import { encodeHj212Packet, parseHj212Packet } from './packet.ts';

/** HJ 212-2017 system codes (系统编码) of the domains the factor map covers. */
const SYSTEM_CODE: Partial<Record<Domain, string>> = { water: '21', air: '22', pollution_source: '31' };

export const SIMULATED_LOGGER_DEFAULTS = {
  /** Agent listener address. */
  host: '127.0.0.1',
  /** Seconds between CN 2011 uploads. */
  intervalSec: 5,
  /** Delay before reconnecting after a refused or dropped connection, ms. */
  reconnectMs: 3000,
  /** Access password (PW) sent in every frame. */
  password: '123456',
  /** Index into the demo simulation (phase, episodes): stations with index % 7 === 3 run an episode. */
  simulationIndex: 0,
  /** Pollution-source logger: a CN 2061 hour upload after every this many CN 2051 minute uploads. */
  hourlyEvery: 12,
};

export interface SimulatedLoggerOptions {
  /** Port of the agent's HJ 212 listener. Required. */
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** The logger's MN (设备唯一标识). Required. */
  readonly mn: string;
  /** `water` (ST 21), `air` (ST 22) or `pollution_source` (ST 31, CN 2051/2061 with Cou). Required. */
  readonly domain: 'water' | 'air' | 'pollution_source';
  /** Default 12. */
  readonly hourlyEvery?: number;
  /** Default 5. */
  readonly intervalSec?: number;
  /** Default 3000. */
  readonly reconnectMs?: number;
  /** Default `123456`. */
  readonly password?: string;
  /** Default 0. */
  readonly simulationIndex?: number;
  /** Default: no logging. */
  readonly logger?: Logger;
}

export interface SimulatedLoggerStats {
  connected: boolean;
  /** CN 2011 frames written to the socket. */
  sent: number;
  /** CN 9014 data acknowledgements received. */
  acked: number;
  /** Uploads skipped while disconnected. */
  skipped: number;
}

export interface SimulatedLogger {
  stats(): SimulatedLoggerStats;
  stop(): Promise<void>;
}

/** Metric → factor code for one domain, from the catalogue's code table (first code wins). */
function factorCodesOf(domain: Domain): Map<string, string> {
  const codes = new Map<string, string>();
  for (const [code, spec] of hj212CodeTableFor(domain)) if (!codes.has(spec.id)) codes.set(spec.id, code);
  return codes;
}

/**
 * One CN 2051 (minute) or 2061 (hour) upload of a stack CEMS for the interval starting at `ts`:
 * Avg/Min/Max per factor, Cou for pollutants (kg, from mg/m³ × m³/s × s) and for the flue-gas
 * flow (m³). Concentrations are as measured; the platform computes the 折算 values.
 */
export function simulatedIntervalFrame(options: { mn: string; password: string; state: SimulationState; ts: Date; cn: '2051' | '2061' }): string {
  const seconds = options.cn === '2051' ? 60 : 3600;
  const codes = factorCodesOf('pollution_source');
  const table = hj212CodeTableFor('pollution_source');
  const values = simulateValues('pollution_source', options.state, options.ts.getTime());
  const flow = values['gas_flow'] ?? 0;
  const factors: Record<string, Record<string, string | number>> = {};
  const r = (v: number, d: number): number => Number(v.toFixed(d));
  for (const [metric, avg] of Object.entries(values)) {
    const code = codes.get(metric);
    if (code === undefined) continue;
    const spec = table.get(code)!;
    const f: Record<string, string | number> = { Avg: avg, Min: r(avg * 0.92, 3), Max: r(avg * 1.08, 3) };
    if (spec.couUnit === 'm³') f['Cou'] = r(avg * seconds, 1);
    else if (spec.couUnit === 'kg') f['Cou'] = r((avg * flow * seconds) / 1e6, 4);
    f['Flag'] = 'N';
    factors[code] = f;
  }
  return encodeHj212Packet({
    qn: formatHj212Time(options.ts, 480, true),
    st: SYSTEM_CODE.pollution_source!,
    cn: options.cn,
    pw: options.password,
    mn: options.mn,
    flag: { version: 1, ackWanted: true },
    cp: { dataTime: formatHj212Time(options.ts), factors },
  });
}

/** One CN 2011 real-time upload for `ts` (HJ 212-2017 §6.3; frame §1.1). */
export function simulatedRealtimeFrame(options: { mn: string; password: string; domain: 'water' | 'air'; state: SimulationState; ts: Date }): string {
  const codes = factorCodesOf(options.domain);
  const factors: Record<string, Record<string, string | number>> = {};
  for (const [metric, value] of Object.entries(simulateValues(options.domain, options.state, options.ts.getTime()))) {
    const code = codes.get(metric);
    if (code !== undefined) factors[code] = { Rtd: value, Flag: 'N' };
  }
  return encodeHj212Packet({
    qn: formatHj212Time(options.ts, 480, true),
    st: SYSTEM_CODE[options.domain] ?? '21',
    cn: '2011',
    pw: options.password,
    mn: options.mn,
    flag: { version: 1, ackWanted: true },
    cp: { dataTime: formatHj212Time(options.ts), factors },
  });
}

export function startSimulatedLogger(options: SimulatedLoggerOptions): SimulatedLogger {
  const o = { ...SIMULATED_LOGGER_DEFAULTS, ...options };
  const log = o.logger?.child({ component: 'simulated-hj212-logger', mn: o.mn });
  const state = createSimulationState(o.simulationIndex);
  const stats: SimulatedLoggerStats = { connected: false, sent: 0, acked: 0, skipped: 0 };
  let socket: Socket | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let warned = false;
  let uploads = 0;

  const connect = (): void => {
    if (stopped) return;
    const parser = new Hj212FrameParser();
    const s = net.connect(o.port, o.host);
    socket = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      stats.connected = true;
      warned = false;
      log?.info({ agent: `${o.host}:${o.port}` }, '数采仪 connected to the agent');
      upload();
    });
    s.on('data', (chunk: Buffer) => {
      for (const event of parser.push(chunk)) {
        if (event.kind !== 'frame') continue;
        const reply = parseHj212Packet(event.data);
        if (reply.ok && reply.packet.cn === '9014') stats.acked++;
      }
    });
    s.on('error', (err) => {
      // Until the agent has applied its config the port may not be open yet: say so once.
      if (!warned) log?.warn({ agent: `${o.host}:${o.port}`, err }, '数采仪 cannot reach the agent; retrying');
      warned = true;
    });
    s.on('close', () => {
      stats.connected = false;
      if (socket === s) socket = undefined;
      if (!stopped) reconnectTimer = setTimeout(connect, o.reconnectMs);
    });
  };

  const upload = (): void => {
    if (!socket || !stats.connected) {
      stats.skipped++;
      return;
    }
    // Whole seconds, as a logger clock reports them.
    const ts = new Date(Math.floor(Date.now() / 1000) * 1000);
    if (o.domain === 'pollution_source') {
      const minute = new Date(Math.floor(ts.getTime() / 60_000) * 60_000);
      socket.write(simulatedIntervalFrame({ mn: o.mn, password: o.password, state, ts: minute, cn: '2051' }));
      stats.sent++;
      if (++uploads % o.hourlyEvery === 0) {
        const hour = new Date(Math.floor(ts.getTime() / 3_600_000) * 3_600_000);
        socket.write(simulatedIntervalFrame({ mn: o.mn, password: o.password, state, ts: hour, cn: '2061' }));
        stats.sent++;
      }
      return;
    }
    socket.write(simulatedRealtimeFrame({ mn: o.mn, password: o.password, domain: o.domain, state, ts }));
    stats.sent++;
  };

  const timer = setInterval(upload, o.intervalSec * 1000);
  connect();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(reconnectTimer);
      const s = socket;
      socket = undefined;
      if (!s || s.destroyed) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    },
  };
}
