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

/**
 * Most bytes of an answer read: a provisioning answer is a few KiB. A wrong or hostile URL could
 * otherwise stream for the whole timeout into a gateway's little memory.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

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
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes from ${u.origin}`));
          else chunks.push(c);
        });
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
