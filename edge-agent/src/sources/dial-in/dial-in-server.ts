/**
 * The TCP mechanics every dial-in protocol source shares (HJ 212 data loggers, SL 651 RTUs):
 * listen and close, a connection limit, an idle timeout for half-open TCP after power loss,
 * and per connection one queue that handles frames strictly in order — reading is paused while
 * `maxQueuedFrames` wait and resumed once they drain (back-pressure). Each protocol brings only
 * its session: bytes → frame events (its codec), and what to do with one event.
 */
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';

/** One open connection, as a protocol session sees it. */
export interface DialInConnection {
  readonly socket: Socket;
  /** `address:port` of the peer, for logs and readings' context. */
  readonly remote: string;
  /** Writes a reply; false (nothing sent) when the connection is already closed. */
  write(bytes: Buffer | string): boolean;
}

/** A protocol's per-connection state: its frame scanner and its handling of a frame event. */
export interface DialInSession<Event> {
  /** Bytes received → complete frame events (synchronous; a throw counts as an internal error). */
  push(chunk: Buffer): Event[];
  /** The peer closed: what the scanner still holds (e.g. a truncated frame). */
  end(): Event[];
  /** Handles one event; the events of one connection are handled one at a time, in order. */
  handle(event: Event): Promise<void> | void;
}

export interface DialInServerOptions<Event> {
  /** Close a connection silent for this long, ms; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Most concurrent connections. */
  readonly maxConnections: number;
  /** Frames queued per connection before reading from it is paused. */
  readonly maxQueuedFrames: number;
  /** The protocol's component logger. */
  readonly logger: Logger;
  /** What a peer is called in logs ('logger', 'station'), and the protocol's name ('HJ 212'). */
  readonly peer: string;
  readonly protocol: string;
  /** A new session for each accepted connection. */
  openSession(conn: DialInConnection): DialInSession<Event>;
}

export interface DialInServerStats {
  /** Open connections now. */
  connections: number;
  connectionsTotal: number;
  socketErrors: number;
  idleClosed: number;
  /** Bugs caught by the never-crash guard (a session's push or handle threw). */
  internalErrors: number;
}

interface Connection<Event> extends DialInConnection {
  session: DialInSession<Event> | undefined;
  queue: Promise<void>;
  queued: number;
}

export class DialInServer<Event> {
  readonly #o: DialInServerOptions<Event>;
  readonly #server: net.Server;
  readonly #connections = new Set<Connection<Event>>();
  readonly #stats: DialInServerStats = { connections: 0, connectionsTotal: 0, socketErrors: 0, idleClosed: 0, internalErrors: 0 };

  constructor(options: DialInServerOptions<Event>) {
    this.#o = options;
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#server.maxConnections = options.maxConnections;
    this.#server.on('error', (err) => options.logger.error({ err }, 'listener error'));
  }

  /** Starts listening; resolves with the bound address (use port 0 for any free port). */
  listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Closes the listener and every connection; waits for frames already being handled. */
  async close(): Promise<void> {
    const pending = [...this.#connections].map((c) => c.queue);
    for (const c of this.#connections) c.socket.destroy();
    await Promise.allSettled(pending);
    if (!this.#server.listening) return;
    await new Promise<void>((resolve, reject) => this.#server.close((err) => (err ? reject(err) : resolve())));
  }

  /** A snapshot of the connection counters. */
  stats(): DialInServerStats {
    return { ...this.#stats };
  }

  #accept(socket: Socket): void {
    const conn: Connection<Event> = {
      socket,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      write: (bytes) => {
        if (socket.destroyed || !socket.writable) return false;
        socket.write(bytes);
        return true;
      },
      session: undefined,
      queue: Promise.resolve(),
      queued: 0,
    };
    this.#connections.add(conn);
    this.#stats.connections++;
    this.#stats.connectionsTotal++;
    this.#o.logger.debug({ remote: conn.remote }, `${this.#o.peer} connected`);
    try {
      conn.session = this.#o.openSession(conn);
    } catch (err) {
      this.#internalError(err, conn);
    }

    if (this.#o.idleTimeoutMs > 0) socket.setTimeout(this.#o.idleTimeoutMs);
    socket.on('timeout', () => {
      this.#stats.idleClosed++;
      socket.destroy();
    });
    socket.on('error', (err) => {
      this.#stats.socketErrors++;
      this.#o.logger.debug({ err, remote: conn.remote }, 'socket error');
    });
    socket.on('data', (chunk: Buffer) => this.#enqueue(conn, (s) => s.push(chunk)));
    socket.on('close', () => {
      this.#enqueue(conn, (s) => s.end());
      this.#connections.delete(conn);
      this.#stats.connections--;
      this.#o.logger.debug({ remote: conn.remote }, `${this.#o.peer} disconnected`);
    });
  }

  /** Scans synchronously, then chains the handling of each event behind the connection's queue. */
  #enqueue(conn: Connection<Event>, scan: (session: DialInSession<Event>) => Event[]): void {
    const session = conn.session;
    if (!session) return;
    let events: Event[];
    try {
      events = scan(session);
    } catch (err) {
      this.#internalError(err, conn);
      return;
    }
    for (const event of events) {
      conn.queued++;
      conn.queue = conn.queue
        .then(() => session.handle(event))
        .catch((err: unknown) => this.#internalError(err, conn))
        .finally(() => {
          conn.queued--;
          if (conn.queued < this.#o.maxQueuedFrames && conn.socket.isPaused()) conn.socket.resume();
        });
    }
    if (conn.queued >= this.#o.maxQueuedFrames && !conn.socket.destroyed) conn.socket.pause();
  }

  #internalError(err: unknown, conn: DialInConnection): void {
    this.#stats.internalErrors++;
    this.#o.logger.error({ err, remote: conn.remote }, `internal error handling ${this.#o.protocol} input`);
  }
}
