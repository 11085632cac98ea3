/**
 * Bench support: a bench program in a process of its own (so /proc shows its own memory and CPU),
 * driven over IPC one request at a time: send a command, wait for the reply event it answers
 * with. An `error` reply or the process's exit rejects the request waiting.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

interface Reply {
  readonly ev: string;
}

export class IpcChild<C extends { readonly cmd: string }, R extends Reply> {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #waiting: { ev: R['ev']; resolve: (r: R) => void; reject: (err: Error) => void } | undefined;

  private constructor(name: string, child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#waiting?.reject(new Error(`${name} exited (${code ?? signal})`));
        this.#waiting = undefined;
        resolve();
      }),
    );
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    child.on('message', (raw) => {
      const r = raw as R;
      const w = this.#waiting;
      if (!w) return;
      this.#waiting = undefined;
      if (r.ev === 'error') w.reject(new Error(`${name}: ${(r as Reply & { message?: string }).message}`));
      else if (r.ev === w.ev) w.resolve(r);
      else w.reject(new Error(`${name}: expected ${w.ev}, got ${r.ev}`));
    });
  }

  /** Starts `program` with this process's Node and waits for its `ready`. */
  static async start<C extends { readonly cmd: string }, R extends Reply>(name: string, program: string): Promise<IpcChild<C, R>> {
    return (await IpcChild.startWith<C, R, R['ev']>(name, program, 'ready')).ipc;
  }

  /** Like `start`, with the program's first reply (`ev`), for programs that say something when ready (a port). */
  static async startWith<C extends { readonly cmd: string }, R extends Reply, K extends R['ev']>(name: string, program: string, ev: K): Promise<{ ipc: IpcChild<C, R>; ready: Extract<R, { ev: K }> }> {
    const child = spawn(process.execPath, [program], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ipc = new IpcChild<C, R>(name, child);
    const ready = await ipc.request(ev);
    return { ipc, ready };
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Sends `command` (if any) and resolves with the reply `ev`. */
  request<K extends R['ev']>(ev: K, command?: C): Promise<Extract<R, { ev: K }>> {
    return new Promise((resolve, reject) => {
      this.#waiting = { ev, resolve: resolve as (r: R) => void, reject };
      if (command) this.#child.send(command);
    });
  }

  /** Asks the program to stop (`stop` → `stopped`) and waits for the exit; SIGKILL if it takes over 30 s. */
  async close(stop: C): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    try {
      if (this.#child.connected) await this.request('stopped' as R['ev'], stop).catch(() => undefined);
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
