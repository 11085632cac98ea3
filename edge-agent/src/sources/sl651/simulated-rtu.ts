/**
 * A simulated SL 651-2014 telemetry RTU (遥测终端) of a reservoir, for demos and field
 * rehearsals. Like a GPRS/4G RTU in 自报 mode it dials the centre for each report: connect,
 * send a 32 定时报 (HEX/BCD, station class 4B 水库) with 库上水位 (3B), 库下水位 (3A),
 * 时段降水量 (1A), 瞬时流量 (27) and 电源电压 (38), wait for the centre's acknowledgement
 * (serial echoed), hang up. Values come from the same reservoir simulation as the demo fleet.
 * The first report goes out at once; a report that fails (port not open yet, no answer) is
 * tried again after `retryMs`. Observation times have minute resolution (SL 651 §2.2).
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { createSimulationState, simulateValues } from '../simulated/simulate-reading.ts';
import { encodeSl651Report } from './encode.ts';
import { Sl651FrameParser } from './frame-parser.ts';
import { SL651_FUNCTION } from './report.ts';

export const SIMULATED_RTU_DEFAULTS = {
  /** Agent listener address. */
  host: '127.0.0.1',
  /** Seconds between 定时报. */
  intervalSec: 60,
  /** Delay before trying a failed report again, ms. */
  retryMs: 5000,
  /** How long to wait for the centre's acknowledgement, ms. */
  ackTimeoutMs: 10_000,
  /** 中心站地址. */
  centre: 1,
  /** Password (4 hex digits). */
  password: '1234',
  /** Index into the demo simulation (phase, episodes). */
  simulationIndex: 0,
};

export interface SimulatedRtuOptions {
  /** Port of the agent's SL 651 listener. Required. */
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** 遥测站地址: 10 hex digits. Required. */
  readonly station: string;
  /** Default 60. */
  readonly intervalSec?: number;
  /** Default 5000. */
  readonly retryMs?: number;
  /** Default 10000. */
  readonly ackTimeoutMs?: number;
  /** Default 1. */
  readonly centre?: number;
  /** Default `1234`. */
  readonly password?: string;
  /** Default 0. */
  readonly simulationIndex?: number;
  /** Default: no logging. */
  readonly logger?: Logger;
}

export interface SimulatedRtuStats {
  /** Reports written to the socket. */
  sent: number;
  /** Reports the centre acknowledged (its serial echoed). */
  acked: number;
  /** Reports that could not be delivered or were not acknowledged in time. */
  failed: number;
}

export interface SimulatedRtu {
  stats(): SimulatedRtuStats;
  stop(): Promise<void>;
}

export function startSimulatedRtu(options: SimulatedRtuOptions): SimulatedRtu {
  const o = { ...SIMULATED_RTU_DEFAULTS, ...options };
  const log = o.logger?.child({ component: 'simulated-sl651-rtu', rtu: o.station });
  const state = createSimulationState(o.simulationIndex);
  const stats: SimulatedRtuStats = { sent: 0, acked: 0, failed: 0 };
  let serial = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: net.Socket | undefined;
  let stopped = false;
  let warned = false;
  let sending: Promise<void> = Promise.resolve();

  /** One dial-up: connect, report, wait for the acknowledgement, hang up. Resolves true when acknowledged. */
  const report = (): Promise<boolean> =>
    new Promise((resolve) => {
      serial = (serial % 0xffff) + 1;
      const mySerial = serial;
      const now = new Date();
      const values = simulateValues('reservoir', state, now.getTime());
      const level = values['water_level'] ?? 101.5;
      const frame = encodeSl651Report({
        centre: o.centre,
        station: o.station,
        password: o.password,
        functionCode: SL651_FUNCTION.TIMED,
        serial: mySerial,
        sentAt: now,
        stationClass: 0x4b, // 水库
        groups: [
          {
            observedAt: new Date(Math.floor(now.getTime() / 60_000) * 60_000),
            elements: [
              { key: '3B', value: level },
              { key: '3A', value: Number((level - 6.8).toFixed(2)) },
              { key: '1A', value: values['rainfall'] ?? 0 },
              { key: '27', value: values['outflow'] ?? 0 },
              { key: '38', value: 12.6 },
            ],
          },
        ],
      });
      const parser = new Sl651FrameParser();
      const socket = net.connect(o.port, o.host);
      current = socket;
      let done = false;
      const finish = (ok: boolean, why?: string): void => {
        if (done) return;
        done = true;
        clearTimeout(ackTimer);
        if (ok) {
          stats.acked++;
          warned = false;
        } else {
          stats.failed++;
          if (!warned && !stopped) log?.warn({ agent: `${o.host}:${o.port}`, reason: why }, 'RTU report not acknowledged; retrying');
          warned = true;
        }
        socket.end();
        socket.destroy();
        resolve(ok);
      };
      const ackTimer = setTimeout(() => finish(false, 'no acknowledgement'), o.ackTimeoutMs);
      socket.once('connect', () => {
        socket.write(frame);
        stats.sent++;
      });
      socket.on('data', (chunk: Buffer) => {
        for (const event of parser.push(chunk)) {
          if (event.kind === 'frame' && event.direction === 'down' && event.body.length >= 2 && event.body.readUInt16BE(0) === mySerial) finish(true);
        }
      });
      socket.once('error', (err) => finish(false, err.message));
      socket.once('close', () => finish(false, 'connection closed'));
    });

  const tick = (): void => {
    if (stopped) return;
    sending = report().then((ok) => {
      if (!stopped) timer = setTimeout(tick, ok ? o.intervalSec * 1000 : o.retryMs);
    });
  };
  tick();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      current?.destroy();
      await sending;
    },
  };
}
