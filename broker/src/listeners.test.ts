/**
 * The MQTT listener's accept queue holds a reconnect storm. With Node's default backlog (511),
 * SYNs beyond it were dropped while the event loop was busy: those devices waited for TCP's SYN
 * retransmits (1, 3, 7, 15 s …) and some ran into their 30 s CONNECT timeout, then a long
 * backoff (the cluster bench's storm had a tail of 55 s so). Real sockets, a real kernel queue.
 */
import { test, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createBroker } from './create-broker.ts';
import { startListener } from './listeners.ts';

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

test.skipIf(somaxconn < 2048)('1,500 devices connecting while the node is busy all complete their TCP handshake: none waits for a SYN retransmit', async () => {
  const broker = await createBroker({ authenticate: async () => true, acceptPublish: async () => undefined }, { authFailureDelayMs: 0 }, pino({ level: 'silent' }));
  const listener = await startListener(broker, { kind: 'tcp', host: '127.0.0.1', port: 0 });
  try {
    // Another process opens 1,500 connections at once and reports how many are established once
    // all are or after 4 s — the kernel completes a handshake for every connection its accept queue
    // holds, whether or not this (busy) process has accepted it yet.
    const report = path.join(mkdtempSync(path.join(os.tmpdir(), 'shanshui-backlog-')), 'up');
    const child = spawn(process.execPath, ['-e', `
      const net = require('node:net');
      const fs = require('node:fs');
      let up = 0;
      const socks = [];
      const done = () => { fs.writeFileSync(${JSON.stringify(report)}, String(up)); for (const s of socks) s.destroy(); process.exit(0); };
      for (let i = 0; i < 1500; i++) {
        const s = net.connect(${listener.port}, '127.0.0.1', () => ++up === 1500 && done());
        s.on('error', () => {});
        socks.push(s);
      }
      setTimeout(done, 4000);
    `], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The node is busy (a storm's CONNECTs, a GC) until the report: it accepts nothing meanwhile.
    const giveUp = Date.now() + 20_000;
    while (!existsSync(report) && Date.now() < giveUp) {
      // busy
    }
    await exited;
    const out = readFileSync(report, 'utf8');
    expect(Number(out)).toBe(1500);
  } finally {
    await listener.close();
    await broker.close();
  }
});
