/**
 * Bench support: the edge agent (`createAgent`) in a process of its own (agent-program.ts),
 * driven over IPC, so /proc shows the agent's own resident memory and CPU time.
 */
import path from 'node:path';
import type { AgentCredentialsInput } from '@shanshui/edge-agent';
import { IpcChild } from './ipc-child.ts';

/** The program's source; `start(file)` runs a bundled copy of it instead (as the agent ships: plain JavaScript). */
export const AGENT_PROGRAM_SOURCE = path.join(import.meta.dirname, 'agent-program.ts');

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

export class AgentProcess {
  readonly #ipc: IpcChild<AgentCommand, AgentReply>;

  private constructor(ipc: IpcChild<AgentCommand, AgentReply>) {
    this.#ipc = ipc;
  }

  static async start(program = AGENT_PROGRAM_SOURCE): Promise<AgentProcess> {
    return new AgentProcess(await IpcChild.start<AgentCommand, AgentReply>('agent process', program));
  }

  get pid(): number {
    return this.#ipc.pid;
  }

  async run(c: Omit<Extract<AgentCommand, { cmd: 'start' }>, 'cmd'>): Promise<void> {
    await this.#ipc.request('started', { cmd: 'start', ...c });
  }

  async stats(): Promise<AgentProcessStats> {
    const { ev: _ev, ...s } = await this.#ipc.request('stats', { cmd: 'stats' });
    return s;
  }

  async take(readings: number, batch: number, tsStart: number): Promise<number> {
    return (await this.#ipc.request('taken', { cmd: 'take', readings, batch, tsStart })).seconds;
  }

  /** Stops the agent and ends the process (SIGKILL if it does not within 30 s). */
  close(): Promise<void> {
    return this.#ipc.close({ cmd: 'stop' });
  }
}
