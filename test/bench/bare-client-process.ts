/** Bench support: the bench's handle on the bare mqtt.js client program (bare-client-program.ts), the agent's peer. */
import path from 'node:path';
import { IpcChild } from './ipc-child.ts';

/** The program's source; `start(file)` runs a bundled copy of it instead (as the agent ships: plain JavaScript). */
export const BARE_CLIENT_PROGRAM_SOURCE = path.join(import.meta.dirname, 'bare-client-program.ts');

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

export class BareClientProcess {
  readonly #ipc: IpcChild<BareClientCommand, BareClientReply>;

  private constructor(ipc: IpcChild<BareClientCommand, BareClientReply>) {
    this.#ipc = ipc;
  }

  static async start(program = BARE_CLIENT_PROGRAM_SOURCE): Promise<BareClientProcess> {
    return new BareClientProcess(await IpcChild.start<BareClientCommand, BareClientReply>('bare client', program));
  }

  get pid(): number {
    return this.#ipc.pid;
  }

  async connect(url: string, id: string, password: string): Promise<void> {
    await this.#ipc.request('connected', { cmd: 'connect', url, id, password });
  }

  async publish(c: Omit<Extract<BareClientCommand, { cmd: 'publish' }>, 'cmd'>): Promise<BarePublishResult> {
    const { ev: _ev, ...r } = await this.#ipc.request('published', { cmd: 'publish', ...c });
    return r;
  }

  close(): Promise<void> {
    return this.#ipc.close({ cmd: 'stop' });
  }
}
