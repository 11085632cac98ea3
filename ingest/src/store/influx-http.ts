/**
 * InfluxDB over the v1-compatible HTTP API (`/write` line protocol, `/query` InfluxQL): one code
 * path for InfluxDB 1.x, 2.x (v1 compatibility + token), 3.x and openGemini. The official
 * client's WriteApi speaks `/api/v2/write`, which InfluxDB 1.6 does not have, so we write the
 * line protocol ourselves (line-protocol.ts, tested byte for byte against the client's Point)
 * and use undici for transport; batching and retry live in the durable spool drain. Writes go
 * through undici's `request` with the bytes as they are: `fetch` turned a 1 MiB batch into a
 * string, encoded it again and streamed it through web streams, ≈ 2 ms of the main thread per
 * batch more (docs/benchmarks.md, #16).
 */
import { request } from 'undici';
export { toLineProtocol } from './line-protocol.ts';

export interface InfluxConnection {
  /** Base URL, e.g. http://127.0.0.1:8086 */
  readonly url: string;
  readonly database: string;
  /** Retention policy; empty for the default. */
  readonly retentionPolicy?: string;
  readonly username?: string;
  readonly password?: string;
  /** InfluxDB 2.x/3.x token (sent as `Authorization: Token …`). */
  readonly token?: string;
}

export class InfluxWriteError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`InfluxDB answered ${status}: ${body.slice(0, 500)}`);
    this.name = 'InfluxWriteError';
    this.status = status;
    this.body = body;
  }
  /** 4xx means the points themselves were refused: retrying will not help. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export type InfluxSeries = { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] };

export class InfluxHttp {
  readonly #conn: InfluxConnection;
  readonly #headers: Record<string, string>;

  constructor(conn: InfluxConnection) {
    this.#conn = conn;
    // Credentials in a header, never in the URL (which proxies and access logs keep): a 2.x/3.x
    // token, or 1.x's user and password as HTTP Basic (what influxd 1.x and openGemini accept).
    this.#headers = conn.token
      ? { authorization: `Token ${conn.token}` }
      : conn.username !== undefined
        ? { authorization: basicAuth(conn.username, conn.password ?? '') }
        : {};
  }

  get connection(): InfluxConnection {
    return this.#conn;
  }

  #params(extra: Record<string, string>): string {
    return new URLSearchParams(extra).toString();
  }

  async ping(timeoutMs = 2000): Promise<boolean> {
    try {
      const res = await fetch(`${this.#conn.url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status === 204 || res.ok;
    } catch {
      return false;
    }
  }

  /** Writes line protocol (ms precision), as text or as its UTF-8 bytes. Throws InfluxWriteError on a non-2xx answer. */
  async write(lines: string | Uint8Array, timeoutMs = 30_000): Promise<void> {
    const params: Record<string, string> = { db: this.#conn.database, precision: 'ms' };
    if (this.#conn.retentionPolicy) params['rp'] = this.#conn.retentionPolicy;
    const res = await request(`${this.#conn.url}/write?${this.#params(params)}`, {
      method: 'POST',
      headers: { ...this.#headers, 'content-type': 'text/plain; charset=utf-8' },
      body: lines,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new InfluxWriteError(res.statusCode, text);
  }

  /** Runs InfluxQL; returns the series of the first statement. Epoch ms timestamps. */
  async query(q: string, options: { database?: string; method?: 'GET' | 'POST' } = {}): Promise<InfluxSeries[]> {
    const params = this.#params({ db: options.database ?? this.#conn.database, q, epoch: 'ms' });
    const method = options.method ?? (/^\s*(select|show)/i.test(q) ? 'GET' : 'POST');
    const res = await fetch(`${this.#conn.url}/query?${params}`, { method, headers: this.#headers, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (!res.ok) throw new InfluxWriteError(res.status, text);
    const body = JSON.parse(text) as { results?: Array<{ series?: InfluxSeries[]; error?: string }>; error?: string };
    if (body.error) throw new Error(`InfluxQL error: ${body.error}`);
    const first = body.results?.[0];
    if (first?.error) throw new Error(`InfluxQL error: ${first.error}`);
    return first?.series ?? [];
  }

  /**
   * Creates the database when it is missing. In InfluxDB 1.x only an admin may CREATE DATABASE;
   * a least-privilege user (READ+WRITE on its database, as the managed influxd and the compose
   * stack give the platform) gets 403 — fine as long as the database exists, which SHOW DATABASES
   * (listing what the user may use) tells.
   */
  async ensureDatabase(): Promise<void> {
    const name = this.#conn.database.replace(/"/g, '');
    try {
      await this.query(`CREATE DATABASE "${name}"`, { method: 'POST' });
    } catch (err) {
      if (!(err instanceof InfluxWriteError && err.status === 403)) throw err;
      const series = await this.query('SHOW DATABASES');
      if (series.some((s) => s.values.some((row) => row[0] === name))) return;
      throw new Error(`InfluxDB database "${name}" does not exist and user "${this.#conn.username ?? ''}" may not create it: create it as an InfluxDB admin`, { cause: err });
    }
  }
}

/** Rows of a series as objects keyed by column. */
export function seriesRows(series: InfluxSeries): Array<Record<string, unknown>> {
  return series.values.map((row) => Object.fromEntries(series.columns.map((c, i) => [c, row[i]])));
}

/** An HTTP Basic Authorization value (RFC 7617, UTF-8). */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
