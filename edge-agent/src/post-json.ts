/**
 * One JSON POST over http:// or https://, verifying the server against a given CA when one is
 * set (a private or development CA the gateway was handed) — what fetch cannot do without an
 * extra dependency. Node's CAs otherwise.
 */
import http from 'node:http';
import https from 'node:https';

export interface PostJsonOptions {
  /** PEM CA bundle to verify an https:// server with. Default: Node's CAs. */
  readonly ca?: string | Buffer;
  /** Most time for the whole exchange, ms. Required. */
  readonly timeoutMs: number;
}

export interface PostJsonResponse {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
}

export function postJson(url: string, body: unknown, o: PostJsonOptions): Promise<PostJsonResponse> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return Promise.reject(new Error(`not an http:// or https:// URL: ${url}`));
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        agent: false,
        ...(o.ca ? { ca: o.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(payload);
  });
}
