/** DialInServer's mechanics with a toy line protocol (one event per '\n'-terminated line), over real TCP. */
import { afterEach, expect, test } from 'vitest';
import { pino } from 'pino';
import { DialInServer } from './dial-in-server.ts';
import type { DialInConnection, DialInServerOptions } from './dial-in-server.ts';
import { DialInClient } from './dial-in-client.fixture.ts';

const servers: Array<DialInServer<string>> = [];
const clients: Array<DialInClient<string>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  for (const s of servers.splice(0)) await s.close();
});

/** Lines in, each handled by `handle`; replies are lines too. */
async function lineServer(handle: (line: string, conn: DialInConnection) => Promise<void> | void, options: Partial<DialInServerOptions<string>> = {}): Promise<{ server: DialInServer<string>; port: number }> {
  const server = new DialInServer<string>({
    idleTimeoutMs: 0,
    maxConnections: 10,
    maxQueuedFrames: 100,
    logger: pino({ level: 'silent' }),
    peer: 'device',
    protocol: 'toy',
    openSession: (conn) => {
      let buffered = '';
      return {
        push: (chunk) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          return lines;
        },
        end: () => (buffered === '' ? [] : [`truncated:${buffered}`]),
        handle: (line) => handle(line, conn),
      };
    },
    ...options,
  });
  servers.push(server);
  return { server, port: (await server.listen(0, '127.0.0.1')).port };
}

async function connect(port: number): Promise<DialInClient<string>> {
  const client = await DialInClient.connect(port, (chunk) => chunk.toString().split('\n').filter((l) => l !== ''));
  clients.push(client);
  return client;
}

test('events of one connection are handled one at a time, in order, even when handling is slow', async () => {
  const handled: string[] = [];
  let inFlight = 0;
  const { port } = await lineServer(async (line, conn) => {
    inFlight++;
    expect(inFlight).toBe(1);
    await new Promise((r) => setTimeout(r, line === 'a' ? 30 : 1));
    handled.push(line);
    inFlight--;
    conn.write(`ok ${line}\n`);
  });
  const device = await connect(port);
  device.send('a\nb\nc');
  device.send('\n');
  await expect.poll(() => device.replies).toEqual(['ok a', 'ok b', 'ok c']);
  expect(handled).toEqual(['a', 'b', 'c']);
});

test('back-pressure: reading pauses at maxQueuedFrames and resumes as the queue drains; nothing is lost', async () => {
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => (release = r));
  const handled: string[] = [];
  let pausedSeen = false;
  const { port } = await lineServer(
    async (line, conn) => {
      await gate;
      if (conn.socket.isPaused()) pausedSeen = true;
      handled.push(line);
    },
    { maxQueuedFrames: 3 },
  );
  const device = await connect(port);
  const lines = Array.from({ length: 50 }, (_, i) => `l${i}`);
  device.send(lines.join('\n') + '\n');
  await new Promise((r) => setTimeout(r, 50));
  release();
  gate = Promise.resolve();
  await expect.poll(() => handled.length).toBe(50);
  expect(handled).toEqual(lines);
  expect(pausedSeen).toBe(true);
});

test('what the scanner holds at disconnect is handled; connections are counted', async () => {
  const handled: string[] = [];
  const { server, port } = await lineServer((line) => void handled.push(line));
  const device = await connect(port);
  expect(server.stats()).toMatchObject({ connections: 1, connectionsTotal: 1 });
  device.send('whole\npart');
  await device.close();
  await expect.poll(() => handled).toEqual(['whole', 'truncated:part']);
  await expect.poll(() => server.stats().connections).toBe(0);
  expect(server.stats().connectionsTotal).toBe(1);
});

test('a session that throws is counted as an internal error; the connection and later events go on', async () => {
  const { server, port } = await lineServer((line, conn) => {
    if (line === 'boom') throw new Error('bug');
    conn.write(`ok ${line}\n`);
  });
  const device = await connect(port);
  device.send('boom\nfine\n');
  await expect.poll(() => device.replies).toEqual(['ok fine']);
  expect(server.stats().internalErrors).toBe(1);
});

test('idle connections are closed after idleTimeoutMs and counted', async () => {
  const { server, port } = await lineServer(() => {}, { idleTimeoutMs: 100 });
  const device = await connect(port);
  await expect.poll(() => device.closed, { timeout: 3000 }).toBe(true);
  expect(server.stats().idleClosed).toBe(1);
});

test('close() ends open connections and waits for the event being handled', async () => {
  let finished = false;
  let started = false;
  const { server, port } = await lineServer(async () => {
    started = true;
    await new Promise((r) => setTimeout(r, 100));
    finished = true;
  });
  const device = await connect(port);
  device.send('slow\n');
  await expect.poll(() => started).toBe(true);
  await server.close();
  expect(finished).toBe(true);
  await expect.poll(() => device.closed).toBe(true);
});
