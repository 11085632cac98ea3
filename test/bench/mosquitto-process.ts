/**
 * Bench support: the memory peer — Debian's Mosquitto on a free port with a throwaway config
 * (anonymous clients, no connection cap, no persistence), stopped with the bench.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '@shanshui/ingest';
import { withFdLimit } from './fd-limit.ts';
import { sleep } from './progress.ts';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export class MosquittoProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  }

  static available(): boolean {
    return existsSync(MOSQUITTO_BIN);
  }

  static async start(dir: string, fdNeed: number): Promise<MosquittoProcess> {
    const port = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_connections -1', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
    const [cmd, args] = withFdLimit(MOSQUITTO_BIN, ['-c', conf], fdNeed + 256);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const m = new MosquittoProcess(child, port);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode})`);
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (up) return m;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('mosquitto did not listen within 10 s');
      }
      await sleep(50);
    }
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
