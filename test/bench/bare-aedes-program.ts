/**
 * Bench support, a program: the MQTT peer of issue #16 — a bare aedes broker (the version the
 * platform pins, broker/package.json) on a free local port with nothing of ours: no
 * authentication, no hooks, aedes' own in-memory persistence, QoS 1 as aedes does it (PUBACK,
 * then the fan-out to no subscriber). Driven over IPC (see bare-aedes-process.ts): it answers
 * `ready` with its port, and `stop` with `stopped`.
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import type { BareAedesCommand, BareAedesReply } from './bare-aedes-process.ts';

const send = (r: BareAedesReply): void => {
  process.send?.(r);
};

const aedes = new Aedes();
await aedes.listen();
const server = net.createServer((socket) => aedes.handle(socket));
server.listen(0, '127.0.0.1', () => send({ ev: 'ready', port: (server.address() as net.AddressInfo).port }));

process.on('message', (raw) => {
  const c = raw as BareAedesCommand;
  if (c.cmd !== 'stop') return;
  aedes.close(() =>
    server.close(() => {
      send({ ev: 'stopped' });
      process.disconnect();
    }),
  );
});
process.on('disconnect', () => process.exit(0));
