/**
 * TCP listener for SL 651-2014 telemetry stations (HEX/BCD encoding). Per connection, in order:
 * 1. bytes → `Sl651FrameParser` (resynchronises on garbage, never throws);
 * 2. bad CRC → counted; with `nakOnBadCrc`, a NAK (15) asks for the frame again;
 * 3. downlink frames (direction 1000) are not for us → counted, ignored;
 * 4. password check when the station has one configured → mismatch: counted, dropped, no ack;
 * 5. SYN multi-packet transfers are reassembled; packets before the last get no reply;
 * 6. 2F keep-alive → counted; not answered unless `keepAliveReply` (SL 651 §6.6.4.2 as quoted
 *    by a public implementation: the keep-alive has no downlink message — ⚠️ one source);
 * 7. reports (32/33/34 by default) → readings → `onReadings`, awaited before the
 *    acknowledgement (serial echoed, end char EOT by default) so an acknowledged report has
 *    been handed over; a failed hand-off sends no ack and the station resends. A report whose
 *    body cannot be read is acknowledged anyway (resending the same bytes cannot help) and
 *    counted as `badReport`;
 * 8. other functions → counted, ignored.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import * as z from 'zod';
import type { SourceReading } from '../source-reading.ts';
import { DialInServer } from '../dial-in/dial-in-server.ts';
import type { DialInConnection, DialInServerStats } from '../dial-in/dial-in-server.ts';
import { SL651_CST_OFFSET_MINUTES } from './bcd.ts';
import { encodeSl651Ack } from './encode.ts';
import { encodeSl651AsciiAck } from './ascii-frame.ts';
import { Sl651Error } from './errors.ts';
import { EOT, NAK, SL651_END_CHARS, Sl651FrameParser } from './frame-parser.ts';
import type { Sl651Frame, Sl651FrameError, Sl651FrameEvent } from './frame-parser.ts';
import { Sl651PacketAssembler } from './packet-assembler.ts';
import { SL651_FUNCTION, parseSl651Report } from './report.ts';
import { sl651ToReadings } from './to-readings.ts';

export interface Sl651ReadingsContext {
  readonly protocol: 'sl651';
  /** Station address from the frame header. */
  readonly station: string;
  readonly functionCode: number;
  readonly serial: number;
  readonly remoteAddress: string;
}

export type Sl651ReadingsHandler = (readings: SourceReading[], context: Sl651ReadingsContext) => void | Promise<void>;

export const SL651_SERVER_DEFAULTS = {
  /** Minutes east of UTC of the stations' clocks (China Standard Time). */
  utcOffsetMinutes: SL651_CST_OFFSET_MINUTES,
  /** Close a connection silent for this long (half-open TCP after power loss); 0 = never. 2 h ≥ hourly reports. */
  idleTimeoutMs: 7_200_000,
  /** Most concurrent connections. */
  maxConnections: 1000,
  /** Frames queued per connection before reading from it is paused. */
  maxQueuedFrames: 100,
  /** Most bytes buffered per connection while a frame is incomplete (a frame is ≤ 4115). */
  maxBufferBytes: 8192,
  /** Function codes read as reports and turned into readings. */
  reportFunctions: [SL651_FUNCTION.TIMED, SL651_FUNCTION.ADDED, SL651_FUNCTION.HOURLY] as number[],
  /** Acknowledge reports. */
  ackReports: true,
  /** End char of acknowledgements: 04 EOT (station may hang up) or 1B ESC (stay online). */
  ackEndChar: EOT as number,
  /** Answer 2F keep-alives (with `ackEndChar`). */
  keepAliveReply: false,
  /** Answer a bad CRC with NAK (15) when the serial could be read. Off: a station with a broken CRC would loop. */
  nakOnBadCrc: false,
  /** Which F4/F5 array value the observation time belongs to (see to-readings). */
  arrayTimeAnchor: 'first' as 'first' | 'last',
  /** Most packets of one SYN transfer. */
  maxPackets: 256,
  /** Most bytes held per connection for unfinished SYN transfers. */
  maxAssembledBytes: 262_144,
};

const HEX4 = /^[0-9A-Fa-f]{4}$/;
const endChar = z.number().int().refine((n) => SL651_END_CHARS.has(n), 'must be an SL 651 end char');
const offset = z.number().int().min(-720).max(840);

export const Sl651StationSchema = z.strictObject({
  /** Expected password (4 hex digits); frames with another one are dropped. Default: not checked. */
  password: z.string().regex(HEX4, 'must be 4 hex digits').optional(),
  /** Element overrides (key → { metric, scale? } or null to ignore). Default none. */
  elements: z.record(z.string(), z.strictObject({ metric: z.string().min(1), scale: z.number().finite().optional() }).nullable()).optional(),
  /** Minutes east of UTC of this station's clock. Default the server's. */
  utcOffsetMinutes: offset.optional(),
  /** End char of acknowledgements to this station. Default the server's. */
  ackEndChar: endChar.optional(),
  /** Array time anchor for this station. Default the server's. */
  arrayTimeAnchor: z.enum(['first', 'last']).optional(),
});
export type Sl651Station = z.output<typeof Sl651StationSchema>;

const D = SL651_SERVER_DEFAULTS;
export const Sl651ServerOptionsSchema = z.strictObject({
  /** Receives the readings of every report. Required. */
  onReadings: z.custom<Sl651ReadingsHandler>((v) => typeof v === 'function', 'must be a function'),
  /** Per-station configuration keyed by the 10-digit station address (uppercase hex). Default none. */
  stations: z.record(z.string(), Sl651StationSchema).default({}),
  utcOffsetMinutes: offset.default(D.utcOffsetMinutes),
  idleTimeoutMs: z.number().int().min(0).default(D.idleTimeoutMs),
  maxConnections: z.number().int().positive().default(D.maxConnections),
  maxQueuedFrames: z.number().int().positive().default(D.maxQueuedFrames),
  maxBufferBytes: z.number().int().min(4115).default(D.maxBufferBytes),
  reportFunctions: z.array(z.number().int().min(0).max(0xff)).default(D.reportFunctions),
  ackReports: z.boolean().default(D.ackReports),
  ackEndChar: endChar.default(D.ackEndChar),
  keepAliveReply: z.boolean().default(D.keepAliveReply),
  nakOnBadCrc: z.boolean().default(D.nakOnBadCrc),
  arrayTimeAnchor: z.enum(['first', 'last']).default(D.arrayTimeAnchor),
  maxPackets: z.number().int().positive().max(4095).default(D.maxPackets),
  maxAssembledBytes: z.number().int().positive().default(D.maxAssembledBytes),
  /** pino logger; a child `{ component: 'sl651-server' }` is used. Default silent. */
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function', 'must be a pino logger').optional(),
});
export type Sl651ServerOptions = z.input<typeof Sl651ServerOptionsSchema>;
type Options = z.output<typeof Sl651ServerOptionsSchema>;

/** The connection counters (DialInServerStats) and SL 651's own. */
export interface Sl651ServerStats extends DialInServerStats {
  /** Frames with a valid CRC. */
  frames: number;
  /** Reports accepted. */
  reports: number;
  keepAlives: number;
  readings: number;
  badCrc: number;
  badHeader: number;
  badEnd: number;
  garbage: number;
  garbageBytes: number;
  truncated: number;
  overflow: number;
  /** Report bodies that could not be read, and rejected SYN transfers. */
  badReport: number;
  badPassword: number;
  /** F1 F1 station address differing from the frame header's. */
  stationMismatch: number;
  unknownElements: number;
  /** Values the station marked invalid (FF/AA), dropped. */
  invalidValues: number;
  /** Values dropped for other reasons (malformed BCD, no observation time). */
  valueNotes: number;
  /** Downlink frames and functions that are not reports. */
  ignored: number;
  acksSent: number;
  naksSent: number;
  callbackErrors: number;
}

type Sl651ProtocolStats = Omit<Sl651ServerStats, keyof DialInServerStats>;

interface Connection extends DialInConnection {
  readonly assembler: Sl651PacketAssembler;
}

export class Sl651Server {
  readonly #options: Options;
  /** `stations` keyed by uppercase address, as frames spell it. */
  readonly #stations: ReadonlyMap<string, Sl651Station>;
  readonly #log: Logger;
  readonly #server: DialInServer<Sl651FrameEvent>;
  readonly #stats: Sl651ProtocolStats = {
    frames: 0,
    reports: 0,
    keepAlives: 0,
    readings: 0,
    badCrc: 0,
    badHeader: 0,
    badEnd: 0,
    garbage: 0,
    garbageBytes: 0,
    truncated: 0,
    overflow: 0,
    badReport: 0,
    badPassword: 0,
    stationMismatch: 0,
    unknownElements: 0,
    invalidValues: 0,
    valueNotes: 0,
    ignored: 0,
    acksSent: 0,
    naksSent: 0,
    callbackErrors: 0,
  };

  constructor(options: Sl651ServerOptions) {
    const parsed = Sl651ServerOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
      throw new Sl651Error('EDGE_ERR_SL651_OPTIONS_INVALID', detail, { cause: parsed.error });
    }
    this.#options = parsed.data;
    this.#stations = new Map(Object.entries(this.#options.stations).map(([address, station]) => [address.toUpperCase(), station]));
    this.#log = (this.#options.logger ?? pino({ level: 'silent' })).child({ component: 'sl651-server' });
    this.#server = new DialInServer<Sl651FrameEvent>({
      idleTimeoutMs: this.#options.idleTimeoutMs,
      maxConnections: this.#options.maxConnections,
      maxQueuedFrames: this.#options.maxQueuedFrames,
      logger: this.#log,
      peer: 'station',
      protocol: 'SL 651',
      openSession: (socketConn) => {
        const conn: Connection = Object.assign(socketConn, {
          assembler: new Sl651PacketAssembler({ maxPackets: this.#options.maxPackets, maxBytes: this.#options.maxAssembledBytes }),
        });
        const parser = new Sl651FrameParser({ maxBufferBytes: this.#options.maxBufferBytes });
        return {
          push: (chunk) => parser.push(chunk),
          end: () => parser.end(),
          handle: (event) => (event.kind === 'frame' ? this.#handle(conn, event) : this.#frameError(conn, event)),
        };
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
  stats(): Sl651ServerStats {
    return { ...this.#server.stats(), ...this.#stats };
  }

  async #handle(conn: Connection, frame: Sl651Frame): Promise<void> {
    this.#stats.frames++;
    if (frame.direction !== 'up') {
      this.#stats.ignored++;
      return;
    }
    const station = this.#stations.get(frame.station);
    if (station?.password !== undefined && frame.password !== station.password.toUpperCase()) {
      this.#stats.badPassword++;
      this.#log.warn({ station: frame.station, remote: conn.remote }, 'wrong password; frame dropped');
      return;
    }

    let body = frame.body;
    if (frame.packet !== undefined && frame.packet.total > 1) {
      const assembled = conn.assembler.add(`${frame.station}:${frame.functionCode}`, frame.packet, frame.body);
      if (assembled.status === 'incomplete') return;
      if (assembled.status === 'rejected') {
        this.#stats.badReport++;
        this.#log.warn({ station: frame.station, reason: assembled.reason }, 'multi-packet transfer rejected');
        return;
      }
      body = assembled.body;
    }

    const utcOffsetMinutes = station?.utcOffsetMinutes ?? this.#options.utcOffsetMinutes;
    if (frame.functionCode === SL651_FUNCTION.KEEP_ALIVE) {
      this.#stats.keepAlives++;
      if (this.#options.keepAliveReply && body.length >= 2) this.#ack(conn, frame, body.readUInt16BE(0), station);
      return;
    }
    if (!this.#options.reportFunctions.includes(frame.functionCode)) {
      this.#stats.ignored++;
      return;
    }

    const parsed = parseSl651Report(body, frame.functionCode, { utcOffsetMinutes });
    if (!parsed.ok) {
      this.#stats.badReport++;
      this.#log.warn({ station: frame.station, reason: parsed.message }, 'unreadable report; acknowledged anyway');
      if (body.length >= 2) this.#ack(conn, frame, body.readUInt16BE(0), station);
      return;
    }
    const report = parsed.report;
    if (report.station !== undefined && report.station !== frame.station) {
      this.#stats.stationMismatch++;
      this.#log.warn({ header: frame.station, body: report.station }, 'F1 F1 station differs from the frame header; body wins');
    }
    const out = sl651ToReadings(report, {
      station: frame.station,
      arrayTimeAnchor: station?.arrayTimeAnchor ?? this.#options.arrayTimeAnchor,
      ...(station?.elements ? { elements: station.elements } : {}),
    });
    this.#stats.unknownElements += out.unknownElements.length;
    this.#stats.invalidValues += out.invalid.length;
    this.#stats.valueNotes += out.notes.length;
    if (out.unknownElements.length > 0) this.#log.debug({ station: frame.station, keys: out.unknownElements }, 'unknown element identifiers');
    const notes = [...(frame.notes ?? []), ...report.notes, ...out.notes];
    if (notes.length > 0) this.#log.warn({ station: frame.station, notes }, 'report notes');

    if (out.readings.length > 0) {
      try {
        await this.#options.onReadings(out.readings, {
          protocol: 'sl651',
          station: frame.station,
          functionCode: frame.functionCode,
          serial: report.serial,
          remoteAddress: conn.remote,
        });
      } catch (err) {
        this.#stats.callbackErrors++;
        this.#log.error({ err, station: frame.station }, 'onReadings failed; report not acknowledged');
        return;
      }
      this.#stats.readings += out.readings.length;
    }
    this.#stats.reports++;
    this.#ack(conn, frame, report.serial, station);
  }

  #frameError(conn: Connection, event: Sl651FrameError): void {
    switch (event.code) {
      case 'EDGE_ERR_SL651_GARBAGE':
        this.#stats.garbage++;
        this.#stats.garbageBytes += event.bytes;
        return;
      case 'EDGE_ERR_SL651_BAD_HEADER':
        this.#stats.badHeader++;
        break;
      case 'EDGE_ERR_SL651_BAD_END':
        this.#stats.badEnd++;
        break;
      case 'EDGE_ERR_SL651_TRUNCATED':
        this.#stats.truncated++;
        break;
      case 'EDGE_ERR_SL651_OVERFLOW':
        this.#stats.overflow++;
        break;
      case 'EDGE_ERR_SL651_BAD_CRC': {
        this.#stats.badCrc++;
        const h = event.header;
        if (this.#options.nakOnBadCrc && h?.direction === 'up' && h.serial !== undefined && h.serial !== 0) {
          const sent = this.#send(conn, { centre: h.centre, station: h.station, password: h.password, functionCode: h.functionCode, serial: h.serial, endChar: NAK, ...(h.encoding ? { encoding: h.encoding } : {}) });
          if (sent) this.#stats.naksSent++;
        }
        break;
      }
    }
    this.#log.warn({ remote: conn.remote, code: event.code, bytes: event.bytes }, event.message);
  }

  #ack(conn: Connection, frame: Sl651Frame, serial: number, station: Sl651Station | undefined): void {
    if (!this.#options.ackReports) return;
    const sent = this.#send(conn, {
      centre: frame.centre,
      station: frame.station,
      password: frame.password,
      functionCode: frame.functionCode,
      serial,
      endChar: station?.ackEndChar ?? this.#options.ackEndChar,
      ...(frame.encoding ? { encoding: frame.encoding } : {}),
    });
    if (sent) this.#stats.acksSent++;
  }

  #send(conn: Connection, ack: { centre: number; station: string; password: string; functionCode: number; serial: number; endChar: number; encoding?: 'ascii' }): boolean {
    if (conn.socket.destroyed || !conn.socket.writable) return false;
    // An ASCII-mode station gets its answer in ASCII.
    const encode = ack.encoding === 'ascii' ? encodeSl651AsciiAck : encodeSl651Ack;
    return conn.write(encode({ ...ack, sentAt: new Date(), utcOffsetMinutes: this.#options.utcOffsetMinutes }));
  }
}
