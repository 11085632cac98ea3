/** postJson against real HTTP servers: the answer is read whole up to a bound, so a wrong or hostile URL cannot fill a gateway's memory. */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_ANSWER_BYTES, postJson } from './post-json.ts';

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/provision`;
}

test('a JSON answer is read whole', async () => {
  const url = await serve((req, res) => {
    req.resume();
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"stationId":"gw-1"}');
  });
  const res = await postJson(url, { token: 't' }, { timeoutMs: 5000 });
  assert.deepEqual([res.status, res.text], [201, '{"stationId":"gw-1"}']);
});

test(`an answer over ${MAX_ANSWER_BYTES} bytes is refused once that much has come, not read on to the timeout`, async () => {
  let written = 0;
  const url = await serve((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // An endless body: only the client's bound ends it.
    const pump = (): void => {
      while (written < 64 * MAX_ANSWER_BYTES && res.write(chunk)) written += chunk.length;
      if (written < 64 * MAX_ANSWER_BYTES) res.once('drain', pump);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  // The bound's error, not the timeout's ("no answer within …").
  await assert.rejects(postJson(url, { token: 't' }, { timeoutMs: 30_000 }), new RegExp(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
  assert.ok(written < 64 * MAX_ANSWER_BYTES, 'the server was cut off');
});
