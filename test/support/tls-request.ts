/**
 * Test support: one HTTP(S) request with node:http/https, for what fetch cannot do without an
 * extra dependency — trust a given CA, present raw headers (X-Forwarded-For), or see a refusal.
 */
import http from 'node:http';
import https from 'node:https';
import type { ResponseJson } from './response-json.ts';

export interface TlsRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON-encoded unless a string. */
  readonly body?: unknown;
  /** PEM CA to verify the server with (https only). Default: Node's CAs. */
  readonly ca?: string | Buffer;
  /** Most time for the whole exchange, ms. Default 10000. */
  readonly timeoutMs?: number;
}

export interface TlsResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the answer is JSON, else the text (undefined when empty). */
  readonly body: ResponseJson;
}

export function tlsRequest(url: string, o: TlsRequestOptions = {}): Promise<TlsResponse> {
  const u = new URL(url);
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers };
  const options: https.RequestOptions = { method: o.method ?? 'GET', headers, timeout: o.timeoutMs ?? 10_000, agent: false, ...(o.ca ? { ca: o.ca } : {}) };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = res.headers['content-type']?.includes('json');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (json ? JSON.parse(text) : text) : undefined });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
