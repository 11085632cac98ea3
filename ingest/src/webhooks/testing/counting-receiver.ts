/** Tests: a real HTTP receiver on 127.0.0.1 that answers every request `ok` and counts them (`hits`, settable). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingReceiver {
  readonly port: number;
  hits: number;
  close(): Promise<void>;
}

export async function startCountingReceiver(): Promise<CountingReceiver> {
  const server = http.createServer((req, res) => {
    receiver.hits++;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: CountingReceiver = {
    port: (server.address() as AddressInfo).port,
    hits: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return receiver;
}
