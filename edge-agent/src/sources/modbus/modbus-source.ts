/**
 * Modbus source (RTU over RS-485, or TCP), master side, on `modbus-serial`. In order:
 * 1. `start()` opens the bus (the serial device must exist; a TCP slave that is down is retried
 *    in the background with backoff, never failing the agent) and starts one poll timer per
 *    group.
 * 2. One request at a time on the bus (RS-485 is half duplex; TCP gateways to RS-485 are too):
 *    a group's points are read in as few requests as possible (`read-plan.ts`), each value
 *    decoded by type, byte and word order (`register-codec.ts`), × scale + offset.
 * 3. A request that fails — a silent (dead) slave, a CRC error, a garbled frame, a Modbus
 *    exception — is counted by kind (`modbus-fault.ts`); the values it should have brought are
 *    reported again at their last good value with the quality of the fault (`comm_error` /
 *    `fault`), as data loggers do (HJ 212 flag B). Nothing else stops: the other blocks,
 *    groups and slaves go on. A lost TCP connection reconnects.
 * 4. `executeCommand` writes a coil or holding register(s) named in `config.commands`
 *    (遥控), after checking the value (`modbusCommandValue`, the same check the platform
 *    makes); it never throws.
 */
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Backoff, modbusCommandValue, modbusTypeOf } from '@shanshui/models/edge';
import type { ModbusCommand, ModbusGroup, ModbusPoint, SourceConfig } from '@shanshui/models/edge';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { SourceReading, SourceValue } from '../source-reading.ts';
import { classifyModbusError } from './modbus-fault.ts';
import type { ModbusFault, ModbusFaultKind } from './modbus-fault.ts';
import { decodeRegisters, encodeRegisters } from './register-codec.ts';
import { planReads } from './read-plan.ts';
import type { ReadBlock } from './read-plan.ts';

export type ModbusSourceConfig = Extract<SourceConfig, { kind: 'modbus' }>;

export interface ModbusSourceOptions {
  readonly config: ModbusSourceConfig;
  /** The agent's own station (points with no station of their own report as it). */
  readonly stationId: string;
  readonly onReadings: (readings: SourceReading[]) => void;
  /** Default silent. */
  readonly logger?: Logger;
  /** First / largest reconnect delay of a lost TCP connection, ms. Default 1000 / 30000. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

export interface ModbusSourceStats {
  state: 'stopped' | 'connecting' | 'connected' | 'disconnected';
  polls: number;
  requests: number;
  valuesRead: number;
  timeouts: number;
  crcErrors: number;
  badFrames: number;
  exceptions: number;
  connectionErrors: number;
  connects: number;
  writes: number;
  writeErrors: number;
  /** Last fault, e.g. `slave 3 holding@100: timeout`. */
  lastFault?: string;
}

interface GroupRun {
  readonly group: ModbusGroup;
  readonly blocks: readonly ReadBlock[];
  timer: NodeJS.Timeout | undefined;
}

type ModbusCtor = new () => ModbusRTU;

const FAULT_COUNTER: Record<ModbusFaultKind, 'timeouts' | 'crcErrors' | 'badFrames' | 'exceptions' | 'connectionErrors'> = {
  timeout: 'timeouts',
  crc: 'crcErrors',
  bad_frame: 'badFrames',
  exception: 'exceptions',
  disconnected: 'connectionErrors',
};

export class ModbusSource {
  readonly #o: ModbusSourceOptions;
  readonly #c: ModbusSourceConfig;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  #client: ModbusRTU | undefined;
  #groups: GroupRun[] = [];
  #bus: Promise<unknown> = Promise.resolve();
  #stopped = true;
  #connecting: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Last good engineering value per (station, metric): reported again, flagged, when a read fails. */
  readonly #last = new Map<string, number>();
  readonly #stats: ModbusSourceStats = {
    state: 'stopped',
    polls: 0,
    requests: 0,
    valuesRead: 0,
    timeouts: 0,
    crcErrors: 0,
    badFrames: 0,
    exceptions: 0,
    connectionErrors: 0,
    connects: 0,
    writes: 0,
    writeErrors: 0,
  };

  constructor(options: ModbusSourceOptions) {
    this.#o = options;
    this.#c = options.config;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'modbus' });
    this.#backoff = new Backoff({ minMs: options.reconnectMinMs ?? 1000, maxMs: options.reconnectMaxMs ?? 30_000 });
  }

  get commands(): readonly string[] {
    return this.#c.commands.map((c) => c.name);
  }

  async start(): Promise<void> {
    const t = this.#c.transport;
    if (t.type === 'rtu' && !existsSync(t.device)) throw new Error(`serial device ${t.device} not found (RS-485 adapter plugged in? 串口不存在)`);
    // Loaded here, not at the top: a gateway without a Modbus source never pays for it.
    const mod = (await import('modbus-serial')) as unknown as { default: ModbusCtor };
    this.#stopped = false;
    const client = new mod.default();
    this.#client = client;
    client.setTimeout(this.#c.timeoutMs);
    if (t.type === 'rtu') {
      // A serial port either opens now or the config is wrong: fail the config, say why.
      await this.#open();
      if (this.#stats.state !== 'connected') throw new Error(`serial device ${t.device} could not be opened: ${this.#stats.lastFault ?? 'unknown'}`);
    } else {
      this.#openInBackground();
    }
    this.#groups = this.#c.groups.map((group) => ({ group, blocks: planReads(group.points), timer: undefined }));
    for (const g of this.#groups) this.#schedule(g, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    for (const g of this.#groups) clearTimeout(g.timer);
    this.#groups = [];
    await this.#bus.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    this.#stats.state = 'stopped';
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  stats(): ModbusSourceStats {
    return { ...this.#stats };
  }

  /** Writes the coil or register(s) of command `name`; never throws. */
  async executeCommand(name: string, args: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    const def = this.#c.commands.find((c) => c.name === name);
    if (!def) return { ok: false, error: `unknown command ${name}` };
    const checked = modbusCommandValue(def, args);
    if (!checked.ok) return { ok: false, error: checked.reason };
    try {
      const written = await this.#onBus(() => this.#write(def, checked.value));
      this.#stats.writes++;
      this.#log.info({ command: name, slaveId: def.slaveId, table: def.table, address: def.address, value: checked.value }, 'Modbus write done (遥控)');
      return { ok: true, result: { written } };
    } catch (err) {
      this.#stats.writeErrors++;
      const fault = classifyModbusError(err);
      this.#log.warn({ command: name, fault: fault.kind, err: fault.message }, 'Modbus write failed');
      return { ok: false, error: `${fault.kind}${fault.exceptionCode !== undefined ? ` ${fault.exceptionCode}` : ''}: ${fault.message}` };
    }
  }

  async #write(def: ModbusCommand, value: number | boolean): Promise<number | boolean | number[]> {
    const client = this.#requireClient();
    client.setID(def.slaveId);
    this.#stats.requests++;
    if (def.table === 'coil') {
      await client.writeCoil(def.address, value === true);
      return value === true;
    }
    const type = modbusTypeOf(def);
    if (type === 'bool') throw new Error('a holding register holds a number');
    const words = encodeRegisters((Number(value) - def.offset) / def.scale, { type, byteOrder: def.byteOrder, wordOrder: def.wordOrder });
    if (words.length === 1) await client.writeRegister(def.address, words[0]!);
    else await client.writeRegisters(def.address, words);
    return words;
  }

  #requireClient(): ModbusRTU {
    const client = this.#client;
    if (!client?.isOpen) throw Object.assign(new Error('Modbus link not open'), { errno: 'ENOTOPEN' });
    return client;
  }

  /** Runs `fn` when every earlier request on the bus is done: one request at a time. */
  #onBus<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#bus.then(fn, fn);
    this.#bus = run.catch(() => undefined);
    return run;
  }

  async #open(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    const client = this.#client;
    if (!client || this.#stopped) return;
    this.#stats.state = 'connecting';
    const t = this.#c.transport;
    this.#connecting = (async () => {
      try {
        if (t.type === 'tcp') await client.connectTCP(t.host, { port: t.port });
        else await client.connectRTUBuffered(t.device, { baudRate: t.baudRate, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits });
        if (this.#stopped) return;
        this.#stats.state = 'connected';
        this.#stats.connects++;
        this.#backoff.reset();
        this.#log.info({ transport: t.type }, 'Modbus link open');
      } catch (err) {
        this.#stats.connectionErrors++;
        this.#stats.state = 'disconnected';
        this.#stats.lastFault = `open: ${err instanceof Error ? err.message : String(err)}`;
        this.#log.warn({ err: this.#stats.lastFault }, 'Modbus link could not be opened');
        this.#reconnectLater();
      } finally {
        this.#connecting = undefined;
      }
    })();
    return this.#connecting;
  }

  /** `#open` reports its own failures and schedules the retry; it never rejects. */
  #openInBackground(): void {
    this.#open().catch((err: unknown) => this.#log.error({ err }, 'Modbus open failed'));
  }

  #reconnectLater(): void {
    if (this.#stopped || this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#openInBackground();
    }, this.#backoff.next());
  }

  #schedule(g: GroupRun, delayMs: number): void {
    if (this.#stopped) return;
    g.timer = setTimeout(() => {
      this.#onBus(() => this.#poll(g))
        .catch((err: unknown) => this.#log.error({ err }, 'Modbus poll failed'))
        .finally(() => this.#schedule(g, g.group.pollIntervalMs));
    }, delayMs);
  }

  /** Reads every block of the group; hands over what was read and, flagged, what could not be. */
  async #poll(g: GroupRun): Promise<void> {
    if (this.#stopped) return;
    this.#stats.polls++;
    const ts = new Date();
    const byStation = new Map<string, Record<string, SourceValue>>();
    const put = (p: ModbusPoint, v: SourceValue): void => {
      const station = this.#stationOf(g.group, p);
      const values = byStation.get(station) ?? {};
      values[p.metric] = v;
      byStation.set(station, values);
    };
    for (const block of g.blocks) {
      if (this.#stopped) return;
      try {
        const client = this.#requireClient();
        client.setID(g.group.slaveId);
        this.#stats.requests++;
        const data = await this.#read(client, block);
        for (const p of block.points) {
          const value = this.#decode(p, block, data);
          if (!Number.isFinite(value)) {
            this.#noteFault(g.group, block, { kind: 'bad_frame', quality: 'comm_error', message: `${p.metric}: not a finite number` }, false);
            continue;
          }
          this.#stats.valuesRead++;
          this.#last.set(`${this.#stationOf(g.group, p)}\u0000${p.metric}`, value);
          put(p, { value, quality: 'ok' });
        }
      } catch (err) {
        const fault = classifyModbusError(err);
        this.#noteFault(g.group, block, fault, true);
        for (const p of block.points) {
          const last = this.#last.get(`${this.#stationOf(g.group, p)}\u0000${p.metric}`);
          if (last !== undefined) put(p, { value: last, quality: fault.quality });
        }
        if (fault.kind === 'disconnected' && this.#c.transport.type === 'tcp' && !this.#client?.isOpen) {
          this.#stats.state = 'disconnected';
          this.#reconnectLater();
          break;
        }
      }
    }
    const readings: SourceReading[] = [...byStation].map(([source, values]) => ({ source, ts, values, kind: 'poll' }));
    if (readings.length > 0) {
      try {
        this.#o.onReadings(readings);
      } catch (err) {
        this.#log.error({ err }, 'readings not taken');
      }
    }
  }

  #stationOf(group: ModbusGroup, p: ModbusPoint): string {
    return p.stationId ?? group.stationId ?? this.#o.stationId;
  }

  #noteFault(group: ModbusGroup, block: ReadBlock, fault: ModbusFault, count: boolean): void {
    if (count) this.#stats[FAULT_COUNTER[fault.kind]]++;
    const where = `slave ${group.slaveId} ${block.table}@${block.address}`;
    const text = `${where}: ${fault.kind}${fault.exceptionCode !== undefined ? ` ${fault.exceptionCode}` : ''}`;
    if (this.#stats.lastFault !== text) this.#log.warn({ slaveId: group.slaveId, table: block.table, address: block.address, fault: fault.kind, err: fault.message }, 'Modbus read failed');
    this.#stats.lastFault = text;
  }

  async #read(client: ModbusRTU, block: ReadBlock): Promise<readonly number[] | readonly boolean[]> {
    switch (block.table) {
      case 'coil':
        return (await client.readCoils(block.address, block.length)).data;
      case 'discrete':
        return (await client.readDiscreteInputs(block.address, block.length)).data;
      case 'holding':
        return (await client.readHoldingRegisters(block.address, block.length)).data;
      case 'input':
        return (await client.readInputRegisters(block.address, block.length)).data;
    }
  }

  #decode(p: ModbusPoint, block: ReadBlock, data: readonly number[] | readonly boolean[]): number {
    const at = p.address - block.address;
    const type = modbusTypeOf(p);
    let raw: number;
    if (type === 'bool') {
      raw = data[at] ? 1 : 0;
    } else {
      const words = (data as readonly number[]).slice(at, at + (type === 'float64' ? 4 : type === 'int16' || type === 'uint16' ? 1 : 2));
      raw = decodeRegisters(words, { type, byteOrder: p.byteOrder, wordOrder: p.wordOrder });
    }
    // 15 significant digits: 312 × 0.1 is 31.2, not 31.200000000000003 (binary floating point noise).
    return Number((raw * p.scale + p.offset).toPrecision(15));
  }
}
