/**
 * Bench support: the edge agent (`createAgent`) in a process of its own (agent-program.ts),
 * driven over IPC, so /proc shows the agent's own resident memory and CPU time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { AgentCredentialsInput } from '@shanshui/edge-agent';

const PROGRAM = path.join(import.meta.dirname, 'agent-program.ts');

export type AgentCommand =
  | {
      readonly cmd: 'start';
      readonly dir: string;
      readonly credentials: AgentCredentialsInput;
      /** The agent config to run (AgentConfigInput). */
      readonly config: unknown;
      readonly reconnectMinMs: number;
      readonly reconnectMaxMs: number;
    }
  | { readonly cmd: 'stats' }
  /** Commits `readings` air readings to the buffer, `batch` per take, timestamps 1 ms apart from `tsStart`. */
  | { readonly cmd: 'take'; readonly readings: number; readonly batch: number; readonly tsStart: number }
  | { readonly cmd: 'stop' };

export interface AgentProcessStats {
  readonly rssKiB: number;
  readonly heapUsedKiB: number;
  readonly readingsTaken: number;
  readonly readingsAcked: number;
  readonly bufferDepth: number;
  readonly bufferBytes: number;
  readonly uplinkState: string;
  readonly connects: number;
  readonly lastConnectedAt?: string;
}

export type AgentReply =
  | { readonly ev: 'ready' }
  | { readonly ev: 'started' }
  | ({ readonly ev: 'stats' } & AgentProcessStats)
  | { readonly ev: 'taken'; readonly seconds: number }
  | { readonly ev: 'stopped' }
  | { readonly ev: 'error'; readonly message: string };

type ReplyOf<K extends AgentReply['ev']> = Extract<AgentReply, { ev: K }>;

export class AgentProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #waiting: { ev: AgentReply['ev']; resolve: (r: AgentReply) => void; reject: (err: Error) => void } | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#waiting?.reject(new Error(`agent process exited (${code ?? signal})`));
        this.#waiting = undefined;
        resolve();
      }),
    );
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    child.on('message', (raw) => {
      const r = raw as AgentReply;
      const w = this.#waiting;
      if (!w) return;
      this.#waiting = undefined;
      if (r.ev === 'error') w.reject(new Error(`agent process: ${r.message}`));
      else if (r.ev === w.ev) w.resolve(r);
      else w.reject(new Error(`agent process: expected ${w.ev}, got ${r.ev}`));
    });
  }

  static async start(): Promise<AgentProcess> {
    const child = spawn(process.execPath, [PROGRAM], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const p = new AgentProcess(child);
    await p.#request('ready');
    return p;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  #request<K extends AgentReply['ev']>(ev: K, command?: AgentCommand): Promise<ReplyOf<K>> {
    return new Promise((resolve, reject) => {
      this.#waiting = { ev, resolve: resolve as (r: AgentReply) => void, reject };
      if (command) this.#child.send(command);
    });
  }

  async run(c: Omit<Extract<AgentCommand, { cmd: 'start' }>, 'cmd'>): Promise<void> {
    await this.#request('started', { cmd: 'start', ...c });
  }

  async stats(): Promise<AgentProcessStats> {
    const { ev: _ev, ...s } = await this.#request('stats', { cmd: 'stats' });
    return s;
  }

  async take(readings: number, batch: number, tsStart: number): Promise<number> {
    return (await this.#request('taken', { cmd: 'take', readings, batch, tsStart })).seconds;
  }

  /** Stops the agent and ends the process (SIGKILL if it does not within 30 s). */
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
