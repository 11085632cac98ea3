/**
 * TCP listener for HJ 212 data loggers. Per connection, in order:
 * 1. bytes → `Hj212FrameParser` (resynchronises on garbage, never throws);
 * 2. bad CRC → counted; if the A bit asks for a reply, 9011 with QnRtn=9 (§1.8);
 * 3. data segment → packet (§1.4–§1.6); unreadable → counted, no reply (nothing to echo);
 * 4. password check when the device has one configured → wrong PW: 9011 QnRtn=3;
 * 5. data uploads (CN 2xxx) → readings → `onReadings`, fields that cannot be stored (unknown
 *    codes …) → `onDeadFields` before any ack; the readings promise is awaited before the
 *    9014 data ack (§1.8, shaped like verified packet 2 of §1.3) so an acknowledged upload has
 *    been handed over — a failed hand-off sends no ack and the logger resends;
 * 6. everything else (replies and notices from the logger) is counted and ignored.
 * Frames of one connection are handled strictly in order; a connection with too much backlog
 * is paused until it drains.
 *
 * Version: the Flag version bits of a reply follow the device's configured version, else the
 * version bits the device sent, else `defaultVersion` — never guessed from anything else
 * (docs/standards/hj212.md §1.0: devices send 2005, 2017 and 2025 framing).
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import * as z from 'zod';
import { DOMAINS, hj212CodeTableFor } from '@shanshui/models';
import type { SourceReading } from '../source-reading.ts';
import { DialInServer } from '../dial-in/dial-in-server.ts';
import type { DialInConnection, DialInServerStats } from '../dial-in/dial-in-server.ts';
import { Hj212Error } from './errors.ts';
import { Hj212FrameParser } from './frame-parser.ts';
import type { Hj212FrameEvent, Hj212FrameError } from './frame-parser.ts';
import { formatHj212Time } from './hj212-time.ts';
import { HJ212_VERSION_BITS, decodeHj212Flag, encodeHj212Packet, parseHj212Packet, readHj212Fields } from './packet.ts';
import type { Hj212Packet } from './packet.ts';
import { hj212ToReadings } from './to-readings.ts';
import type { Hj212DeadField } from './to-readings.ts';

/** What the listener tells `onReadings` about where readings came from. */
export interface Hj212ReadingsContext {
  readonly protocol: 'hj212';
  readonly mn: string;
  readonly cn: string;
  readonly remoteAddress: string;
}

export type Hj212ReadingsHandler = (readings: SourceReading[], context: Hj212ReadingsContext) => void | Promise<void>;

/** Receives the fields of an upload that were not stored, with their data time (as sent). */
export type Hj212DeadFieldsHandler = (fields: Hj212DeadField[], context: Hj212ReadingsContext & { readonly dataTime?: string }) => void;

export const HJ212_SERVER_DEFAULTS = {
  /** Accept 3-digit lengths and wrong lengths with a valid CRC (see frame-parser). */
  lenient: true,
  /** Largest data segment accepted, bytes. */
  maxDataLength: 9999,
  /** Most bytes buffered per connection while a frame is incomplete. */
  maxBufferBytes: 16384,
  /** Minutes east of UTC of the loggers' clocks (China Standard Time). */
  utcOffsetMinutes: 480,
  /** Close a connection silent for this long (half-open TCP after power loss); 0 = never. 2 h ≥ hourly uploads. */
  idleTimeoutMs: 7_200_000,
  /** Most concurrent connections. */
  maxConnections: 1000,
  /** Frames queued per connection before reading from it is paused. */
  maxQueuedFrames: 100,
  /** Version used for replies when neither the device config nor its Flag says. */
  defaultVersion: '2017' as const,
  /** Answer a bad CRC with 9011 QnRtn=9 when the A bit asks for a reply. */
  replyToBadCrc: true,
};

const FactorTargetSchema = z.strictObject({
  metric: z.string().min(1),
  domain: z.enum(DOMAINS),
  scale: z.number().finite().optional(),
});

export const Hj212DeviceSchema = z.strictObject({
  /** HJ 212 edition the logger speaks; replies use its version bits. Default: what the Flag says. */
  version: z.enum(['2005', '2017', '2025']).optional(),
  /** Expected PW; a packet with another PW is refused with 9011 QnRtn=3. Default: not checked. */
  password: z.string().optional(),
  /**
   * Domain of the logger's station: its code table (docs/standards/hj212-codes.md) — e.g.
   * `pollution_source` for a stack CEMS or waste-water outlet. Default: ambient air, surface
   * water and noise.
   */
  domain: z.enum(DOMAINS).optional(),
  /** Factor code overrides (`null` ignores a code). Default none. */
  factors: z.record(z.string(), FactorTargetSchema.nullable()).optional(),
  /** CN → value suffix overrides. Default Rtd for 2011, Avg for 2051/2061/2031. */
  valueSuffix: z.record(z.string(), z.string().min(1)).optional(),
  /** Minutes east of UTC of this logger's clock. Default the server's `utcOffsetMinutes`. */
  utcOffsetMinutes: z.number().int().min(-720).max(840).optional(),
});
export type Hj212Device = z.output<typeof Hj212DeviceSchema>;

const D = HJ212_SERVER_DEFAULTS;
export const Hj212ServerOptionsSchema = z.strictObject({
  /** Receives the readings of every data upload. Required. */
  onReadings: z.custom<Hj212ReadingsHandler>((v) => typeof v === 'function', 'must be a function'),
  /** Receives the fields that could not be stored (the agent files them as dead letters). Default: logged only. */
  onDeadFields: z.custom<Hj212DeadFieldsHandler>((v) => typeof v === 'function', 'must be a function').optional(),
  /** Per-MN configuration. Default none. */
  devices: z.record(z.string(), Hj212DeviceSchema).default({}),
  lenient: z.boolean().default(D.lenient),
  maxDataLength: z.number().int().min(0).max(9999).default(D.maxDataLength),
  maxBufferBytes: z.number().int().min(64).default(D.maxBufferBytes),
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(D.utcOffsetMinutes),
  idleTimeoutMs: z.number().int().min(0).default(D.idleTimeoutMs),
  maxConnections: z.number().int().positive().default(D.maxConnections),
  maxQueuedFrames: z.number().int().positive().default(D.maxQueuedFrames),
  defaultVersion: z.enum(['2005', '2017', '2025']).default(D.defaultVersion),
  replyToBadCrc: z.boolean().default(D.replyToBadCrc),
  /** pino logger; a child `{ component: 'hj212-server' }` is used. Default silent. */
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function', 'must be a pino logger').optional(),
});
export type Hj212ServerOptions = z.input<typeof Hj212ServerOptionsSchema>;
type Options = z.output<typeof Hj212ServerOptionsSchema>;

/** The connection counters (DialInServerStats) and HJ 212's own. */
export interface Hj212ServerStats extends DialInServerStats {
  /** Frames with a valid CRC. */
  frames: number;
  /** Data uploads (CN 2xxx) accepted. */
  packets: number;
  readings: number;
  badCrc: number;
  badLength: number;
  /** Garbage events and the bytes they skipped. */
  garbage: number;
  garbageBytes: number;
  truncated: number;
  overflow: number;
  /** Frames whose data segment is not a packet. */
  badPacket: number;
  badPassword: number;
  /** Flag version bits differing from the configured version. */
  versionMismatch: number;
  /** Data segments over the standard's 1024 bytes. */
  oversize: number;
  /** Frames found by CRC although their declared length was wrong. */
  lengthMismatch: number;
  unknownFactors: number;
  /** Fields not stored (unknown codes, suffixes without a value), each handed to `onDeadFields`. */
  deadFields: number;
  /** Values dropped or downgraded (non-numeric value, unknown flag letter, missing DataTime). */
  valueNotes: number;
  /** Valid packets that are not data uploads. */
  ignored: number;
  repliesSent: number;
  /** `onReadings` threw or rejected (no ack was sent). */
  callbackErrors: number;
}

type Hj212ProtocolStats = Omit<Hj212ServerStats, keyof DialInServerStats>;

interface Connection extends DialInConnection {
  /** Split packets (D bit) after the first may omit DataTime; reuse the first one's. */
  split?: { qn: string | undefined; dataTime: string };
}

export class Hj212Server {
  readonly #options: Options;
  readonly #log: Logger;
  readonly #server: DialInServer<Hj212FrameEvent>;
  readonly #stats: Hj212ProtocolStats = {
    frames: 0,
    packets: 0,
    readings: 0,
    badCrc: 0,
    badLength: 0,
    garbage: 0,
    garbageBytes: 0,
    truncated: 0,
    overflow: 0,
    badPacket: 0,
    badPassword: 0,
    versionMismatch: 0,
    oversize: 0,
    lengthMismatch: 0,
    unknownFactors: 0,
    deadFields: 0,
    valueNotes: 0,
    ignored: 0,
    repliesSent: 0,
    callbackErrors: 0,
  };

  constructor(options: Hj212ServerOptions) {
    const parsed = Hj212ServerOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
      throw new Hj212Error('EDGE_ERR_HJ212_OPTIONS_INVALID', detail, { cause: parsed.error });
    }
    this.#options = parsed.data;
    this.#log = (this.#options.logger ?? pino({ level: 'silent' })).child({ component: 'hj212-server' });
    this.#server = new DialInServer<Hj212FrameEvent>({
      idleTimeoutMs: this.#options.idleTimeoutMs,
      maxConnections: this.#options.maxConnections,
      maxQueuedFrames: this.#options.maxQueuedFrames,
      logger: this.#log,
      peer: 'logger',
      protocol: 'HJ 212',
      openSession: (socketConn) => {
        const conn: Connection = socketConn;
        const parser = new Hj212FrameParser({
          lenient: this.#options.lenient,
          maxDataLength: this.#options.maxDataLength,
          maxBufferBytes: this.#options.maxBufferBytes,
        });
        return { push: (chunk) => parser.push(chunk), end: () => parser.end(), handle: (event) => this.#handle(conn, event) };
      },
    });
  }

  /** Starts listening; resolves with the bound address (use port 0 for any free port). */
  listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    return this.#server.listen(port, host);
  }

  /** Closes the listener and every connection; waits for frames already being handled. */
  close(): Promise<void> {
    return this.#server.close();
  }

  /** A snapshot of the counters. */
  stats(): Hj212ServerStats {
    return { ...this.#server.stats(), ...this.#stats };
  }

  async #handle(conn: Connection, event: Hj212FrameEvent): Promise<void> {
    if (event.kind === 'error') {
      this.#frameError(conn, event);
      return;
    }
    this.#stats.frames++;
    if (event.oversize) this.#stats.oversize++;
    if (event.lengthMismatch) this.#stats.lengthMismatch++;

    const result = parseHj212Packet(event.data);
    if (!result.ok) {
      this.#stats.badPacket++;
      this.#log.warn({ remote: conn.remote, reason: result.message }, 'unreadable HJ 212 packet');
      return;
    }
    const packet = result.packet;
    const device: Hj212Device | undefined = Object.hasOwn(this.#options.devices, packet.mn) ? this.#options.devices[packet.mn] : undefined;
    const versionBits = this.#versionBits(device, packet.flag?.version);
    if (device?.version !== undefined && packet.flag !== undefined && packet.flag.version !== HJ212_VERSION_BITS[device.version]) {
      this.#stats.versionMismatch++;
      this.#log.warn({ mn: packet.mn, flag: packet.flag.value, configured: device.version }, 'Flag version bits differ from the configured version');
    }
    const ackWanted = packet.flag?.ackWanted ?? false;

    if (device?.password !== undefined && packet.pw !== device.password) {
      this.#stats.badPassword++;
      this.#log.warn({ mn: packet.mn, remote: conn.remote }, 'wrong PW');
      if (ackWanted) this.#reply(conn, packet.qn, packet.pw, packet.mn, versionBits, '9011', 3);
      return;
    }
    if (!packet.cn.startsWith('2')) {
      this.#stats.ignored++;
      return;
    }

    this.#carrySplitDataTime(conn, packet);
    const out = hj212ToReadings(packet, {
      utcOffsetMinutes: device?.utcOffsetMinutes ?? this.#options.utcOffsetMinutes,
      ...(device?.valueSuffix ? { valueSuffix: device.valueSuffix } : {}),
      ...(device?.factors ? { factors: device.factors } : {}),
      ...(device?.domain ? { table: hj212CodeTableFor(device.domain) } : {}),
    });
    this.#stats.unknownFactors += out.unknownFactors.length;
    this.#stats.valueNotes += out.notes.length;
    this.#stats.deadFields += out.deadFields.length;
    if (out.deadFields.length > 0) {
      this.#log.warn({ mn: packet.mn, cn: packet.cn, fields: out.deadFields.slice(0, 20) }, 'fields not stored (kept as dead letters)');
      try {
        this.#options.onDeadFields?.(out.deadFields, { protocol: 'hj212', mn: packet.mn, cn: packet.cn, remoteAddress: conn.remote, ...(packet.cp.dataTime !== undefined ? { dataTime: packet.cp.dataTime } : {}) });
      } catch (err) {
        this.#stats.callbackErrors++;
        this.#log.error({ err, mn: packet.mn }, 'onDeadFields failed; upload not acknowledged');
        return;
      }
    }
    if (out.notes.length > 0) this.#log.warn({ mn: packet.mn, notes: out.notes }, 'values dropped or downgraded');

    if (out.readings.length > 0) {
      try {
        await this.#options.onReadings(out.readings, { protocol: 'hj212', mn: packet.mn, cn: packet.cn, remoteAddress: conn.remote });
      } catch (err) {
        this.#stats.callbackErrors++;
        this.#log.error({ err, mn: packet.mn }, 'onReadings failed; upload not acknowledged');
        return;
      }
      this.#stats.readings += out.readings.length;
    }
    this.#stats.packets++;
    if (ackWanted) this.#reply(conn, packet.qn, packet.pw, packet.mn, versionBits, '9014');
  }

  #frameError(conn: Connection, event: Hj212FrameError): void {
    switch (event.code) {
      case 'EDGE_ERR_HJ212_GARBAGE':
        this.#stats.garbage++;
        this.#stats.garbageBytes += event.bytes;
        return;
      case 'EDGE_ERR_HJ212_BAD_LENGTH':
        this.#stats.badLength++;
        break;
      case 'EDGE_ERR_HJ212_TRUNCATED':
        this.#stats.truncated++;
        break;
      case 'EDGE_ERR_HJ212_OVERFLOW':
        this.#stats.overflow++;
        break;
      case 'EDGE_ERR_HJ212_BAD_CRC': {
        this.#stats.badCrc++;
        const fields = readHj212Fields(event.data ?? '');
        const flagText = fields.FLAG;
        const flag = flagText !== undefined && /^\d{1,9}$/.test(flagText) ? decodeHj212Flag(Number(flagText)) : undefined;
        const mn = fields.MN;
        if (this.#options.replyToBadCrc && flag?.ackWanted && mn) {
          const device = Object.hasOwn(this.#options.devices, mn) ? this.#options.devices[mn] : undefined;
          this.#reply(conn, fields.QN, fields.PW ?? '', mn, this.#versionBits(device, flag.version), '9011', 9);
        }
        break;
      }
    }
    this.#log.warn({ remote: conn.remote, code: event.code, bytes: event.bytes }, event.message);
  }

  #versionBits(device: Hj212Device | undefined, sent: number | undefined): number {
    if (device?.version !== undefined) return HJ212_VERSION_BITS[device.version];
    return sent ?? HJ212_VERSION_BITS[this.#options.defaultVersion];
  }

  #carrySplitDataTime(conn: Connection, packet: Hj212Packet): void {
    if (!packet.flag?.split) return;
    if (packet.cp.dataTime !== undefined) conn.split = { qn: packet.qn, dataTime: packet.cp.dataTime };
    else if (conn.split && conn.split.qn === packet.qn) packet.cp.dataTime = conn.split.dataTime;
  }

  /** 9014 data ack (`CP=&&&&`) or 9011 request ack with QnRtn (§1.8); ST=91, QN echoed, A bit clear. */
  #reply(conn: Connection, qn: string | undefined, pw: string, mn: string, versionBits: number, cn: '9011' | '9014', qnRtn?: number): void {
    const frame = encodeHj212Packet({
      qn: qn ?? formatHj212Time(new Date(), this.#options.utcOffsetMinutes, true),
      st: '91',
      cn,
      pw,
      mn,
      flag: { version: versionBits },
      cp: qnRtn === undefined ? '' : { params: { QnRtn: qnRtn } },
    });
    if (conn.write(frame)) this.#stats.repliesSent++;
  }
}
