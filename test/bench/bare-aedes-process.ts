/** Bench support: the bench's handle on the bare aedes broker program (bare-aedes-program.ts), the MQTT peer of issue #16. */
import path from 'node:path';
import { IpcChild } from './ipc-child.ts';

const PROGRAM = path.join(import.meta.dirname, 'bare-aedes-program.ts');

export type BareAedesCommand = { readonly cmd: 'stop' };
export type BareAedesReply = { readonly ev: 'ready'; readonly port: number } | { readonly ev: 'stopped' } | { readonly ev: 'error'; readonly message: string };

export class BareAedesProcess {
  readonly #ipc: IpcChild<BareAedesCommand, BareAedesReply>;
  readonly port: number;

  private constructor(ipc: IpcChild<BareAedesCommand, BareAedesReply>, port: number) {
    this.#ipc = ipc;
    this.port = port;
  }

  static async start(): Promise<BareAedesProcess> {
    const { ipc, ready } = await IpcChild.startWith<BareAedesCommand, BareAedesReply, 'ready'>('bare aedes', PROGRAM, 'ready');
    return new BareAedesProcess(ipc, ready.port);
  }

  get pid(): number {
    return this.#ipc.pid;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return this.#ipc.close({ cmd: 'stop' });
  }
}
