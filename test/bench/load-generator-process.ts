/**
 * Bench support: the bench's handle on one load-generator child process — mqtt.js clients
 * (load-generator.ts) or the light generator on raw sockets (light-load-generator.ts, a fraction
 * of mqtt.js's CPU per message), both driven by the same messages.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { withFdLimit, withNice } from './fd-limit.ts';
import type { GeneratorCommand, GeneratorEvent, PublishResult } from './load-generator-protocol.ts';

/** `mqtt.js`: real mqtt.js clients; `light`: hand-encoded packets on raw sockets. */
export type LoadGeneratorKind = 'mqtt.js' | 'light';

const PROGRAMS: Readonly<Record<LoadGeneratorKind, string>> = {
  'mqtt.js': path.join(import.meta.dirname, 'load-generator.ts'),
  light: path.join(import.meta.dirname, 'light-load-generator.ts'),
};

type EventOf<K extends GeneratorEvent['ev']> = Extract<GeneratorEvent, { ev: K }>;

export class LoadGeneratorProcess {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #onProgress: ((e: EventOf<'progress'>) => void) | undefined;
  #waiting: { ev: GeneratorEvent['ev']; resolve: (e: GeneratorEvent) => void; reject: (err: Error) => void } | undefined;
  /** Readings acknowledged so far in the current publish (from progress events). */
  readingsAcked = 0;
  connected = 0;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#waiting?.reject(new Error(`load generator ${name} exited (${code ?? signal})`));
        this.#waiting = undefined;
        resolve();
      }),
    );
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    child.on('message', (raw) => {
      const e = raw as GeneratorEvent;
      if (e.ev === 'progress') {
        this.readingsAcked = e.readingsAcked;
        this.connected = e.connected;
        this.#onProgress?.(e);
        return;
      }
      const w = this.#waiting;
      if (e.ev === 'error') {
        this.#waiting = undefined;
        w?.reject(new Error(`load generator ${name}: ${e.message}`));
        return;
      }
      if (w && w.ev === e.ev) {
        this.#waiting = undefined;
        w.resolve(e);
      }
    });
  }

  /**
   * Starts the program (Node 24 from this process) with enough open files for `fdNeed` sockets,
   * at niceness `nice` (19: it takes only the cycles the rest leave, as devices on other machines).
   */
  static async start(name: string, fdNeed: number, kind: LoadGeneratorKind = 'mqtt.js', nice = 0): Promise<LoadGeneratorProcess> {
    const [cmd, args] = withNice(...withFdLimit(process.execPath, [PROGRAMS[kind]], fdNeed + 256), nice);
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const g = new LoadGeneratorProcess(name, child);
    await g.#next('ready');
    return g;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  #next<K extends GeneratorEvent['ev']>(ev: K, command?: GeneratorCommand): Promise<EventOf<K>> {
    return new Promise((resolve, reject) => {
      this.#waiting = { ev, resolve: resolve as (e: GeneratorEvent) => void, reject };
      if (command) this.#child.send(command);
    });
  }

  connect(c: Omit<Extract<GeneratorCommand, { cmd: 'connect' }>, 'cmd'>): Promise<EventOf<'connected'>> {
    return this.#next('connected', { cmd: 'connect', ...c });
  }

  async publish(c: Omit<Extract<GeneratorCommand, { cmd: 'publish' }>, 'cmd'>, onProgress?: () => void): Promise<PublishResult> {
    this.readingsAcked = 0;
    this.#onProgress = onProgress;
    try {
      const { ev: _ev, ...result } = await this.#next('published', { cmd: 'publish', ...c });
      return result;
    } finally {
      this.#onProgress = undefined;
    }
  }

  /** Disconnects every client and ends the process (SIGKILL if it does not within 30 s). */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    try {
      if (this.#child.connected) await this.#next('closed', { cmd: 'close' }).catch(() => undefined);
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
