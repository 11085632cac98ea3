/** Bench support: the bench's handle on the bare mqtt.js client program (bare-client-program.ts), the agent's peer. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

const PROGRAM = path.join(import.meta.dirname, 'bare-client-program.ts');

export type BareClientCommand =
  | { readonly cmd: 'connect'; readonly url: string; readonly id: string; readonly password: string }
  | {
      readonly cmd: 'publish';
      readonly id: string;
      readonly readings: number;
      readonly readingsPerMessage: number;
      /** Unacknowledged messages in flight. */
      readonly window: number;
      /** Reading k has timestamp tsStart + k (ms). */
      readonly tsStart: number;
      readonly maxSeconds: number;
      /** Pace at this many messages per second; default: as fast as the window allows. */
      readonly messagesPerSec?: number;
    }
  | { readonly cmd: 'stop' };

export interface BarePublishResult {
  readonly readings: number;
  readonly firstPublishAt: number;
  readonly lastAckAt: number;
  readonly errors: number;
}

export type BareClientReply =
  | { readonly ev: 'ready' }
  | { readonly ev: 'connected' }
  | ({ readonly ev: 'published' } & BarePublishResult)
  | { readonly ev: 'stopped' }
  | { readonly ev: 'error'; readonly message: string };

type ReplyOf<K extends BareClientReply['ev']> = Extract<BareClientReply, { ev: K }>;

export class BareClientProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #waiting: { ev: BareClientReply['ev']; resolve: (r: BareClientReply) => void; reject: (err: Error) => void } | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#waiting?.reject(new Error(`bare client exited (${code ?? signal})`));
        this.#waiting = undefined;
        resolve();
      }),
    );
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    child.on('message', (raw) => {
      const r = raw as BareClientReply;
      const w = this.#waiting;
      if (!w) return;
      this.#waiting = undefined;
      if (r.ev === 'error') w.reject(new Error(`bare client: ${r.message}`));
      else if (r.ev === w.ev) w.resolve(r);
      else w.reject(new Error(`bare client: expected ${w.ev}, got ${r.ev}`));
    });
  }

  static async start(): Promise<BareClientProcess> {
    const child = spawn(process.execPath, [PROGRAM], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const p = new BareClientProcess(child);
    await p.#request('ready');
    return p;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  #request<K extends BareClientReply['ev']>(ev: K, command?: BareClientCommand): Promise<ReplyOf<K>> {
    return new Promise((resolve, reject) => {
      this.#waiting = { ev, resolve: resolve as (r: BareClientReply) => void, reject };
      if (command) this.#child.send(command);
    });
  }

  async connect(url: string, id: string, password: string): Promise<void> {
    await this.#request('connected', { cmd: 'connect', url, id, password });
  }

  async publish(c: Omit<Extract<BareClientCommand, { cmd: 'publish' }>, 'cmd'>): Promise<BarePublishResult> {
    const { ev: _ev, ...r } = await this.#request('published', { cmd: 'publish', ...c });
    return r;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    try {
      if (this.#child.connected) await this.#request('stopped', { cmd: 'stop' }).catch(() => undefined);
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
