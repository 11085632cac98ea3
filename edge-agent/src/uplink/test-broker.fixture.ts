/** For the uplink's tests: Debian's Mosquitto on a free port, stopped when the test finishes. */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import mqtt from 'mqtt';
import { onTestFinished, vi } from 'vitest';
import { freePort } from '../free-port.fixture.ts';

/** Starts Mosquitto with its config in `dir`; returns its `mqtt://` URL once it accepts clients. */
export async function startTestBroker(dir: string): Promise<string> {
  const binary = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
  if (!binary) throw new Error('mosquitto not installed (.ci/apt-packages)');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n`);
  const proc = spawn(binary, ['-c', conf], { stdio: 'ignore' });
  onTestFinished(async () => {
    proc.kill('SIGTERM');
    if (proc.exitCode === null) await once(proc, 'exit');
  });
  const url = `mqtt://127.0.0.1:${port}`;
  await vi.waitFor(async () => (await mqtt.connectAsync(url, { reconnectPeriod: 0 })).endAsync(), { timeout: 10_000, interval: 50 });
  return url;
}
