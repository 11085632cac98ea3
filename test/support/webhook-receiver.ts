/**
 * Test support: a real HTTP receiver (node:http on port 0) that plays an emergency centre — it
 * verifies every delivery's signature and records it. `answer` decides the reply per request
 * (status code, or 'hang' to never answer).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@shanshui/ingest';
import type { SignatureAlgorithm } from '@shanshui/ingest';
import type { ResponseJson } from './response-json.ts';

export interface ReceivedDelivery {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: ResponseJson;
  readonly signatureValid: boolean;
  readonly idempotencyKey: string;
  readonly event: string;
  /** What the receiver answered. */
  readonly status: number | 'hang';
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedDelivery[];
  /** Deliveries answered 2xx, deduplicated by idempotency key (first wins), in arrival order. */
  accepted(): ReceivedDelivery[];
  answer: (n: number, req: http.IncomingMessage) => number | 'hang';
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string, options: { algorithm?: SignatureAlgorithm; answer?: WebhookReceiver['answer'] } = {}): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = receiver.answer(received.length, req);
      const ct = String(req.headers['content-type'] ?? '');
      received.push({
        headers: req.headers,
        body,
        json: ct.includes('json') ? JSON.parse(body) : undefined,
        signatureValid: verifyWebhookSignature(String(req.headers['x-shanshui-signature'] ?? ''), body, secret, { algorithm: options.algorithm ?? 'hmac-sha256' }),
        idempotencyKey: String(req.headers['x-shanshui-idempotency-key'] ?? ''),
        event: String(req.headers['x-shanshui-event'] ?? ''),
        status,
      });
      if (status === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks/shanshui`,
    received,
    answer: options.answer ?? (() => 200),
    accepted() {
      const seen = new Set<string>();
      return received.filter((d) => typeof d.status === 'number' && d.status < 300 && !seen.has(d.idempotencyKey) && seen.add(d.idempotencyKey));
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
