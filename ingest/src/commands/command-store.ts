/** Downlink commands and their outcome. */

export const COMMAND_STATES = ['pending', 'sent', 'succeeded', 'failed', 'expired'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export interface Command {
  readonly id: string;
  readonly stationId: string;
  readonly department: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly state: CommandState;
  readonly by: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly sentAt: string | null;
  readonly resultAt: string | null;
  readonly result: unknown;
  readonly error: string | null;
}

export interface CommandStore {
  create(c: { stationId: string; department: string; name: string; args: Record<string, unknown>; by: string; ttlSec: number }, now?: number): Promise<Command>;
  get(id: string): Promise<Command | undefined>;
  /** A station's commands, newest first — of its current department only (a deleted id registered again starts clean). */
  list(stationId: string, department: string, limit: number): Promise<Command[]>;
  /** A deleted station's open commands end (never sent to a device that takes its id later); returns how many. */
  cancelOpen(stationId: string, now?: number): Promise<number>;
  /** Unexpired commands not yet answered, oldest first: what a returning device must get. */
  open(stationId: string, now?: number): Promise<Command[]>;
  markSent(id: string, now?: number): Promise<void>;
  /** Records the device's answer; false when the command is unknown, already answered or expired. */
  complete(id: string, stationId: string, ok: boolean, result: unknown, error: string | null, now?: number): Promise<boolean>;
  /** Times out every open command past its expiry; returns them (each once, whichever node asks). */
  expire(now?: number): Promise<Command[]>;
}
