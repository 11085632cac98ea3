/** Dead letters: accepted messages that could not be stored as readings, kept with the exact cause. */

export interface DeadLetter {
  readonly id: number;
  readonly deviceId: string;
  readonly topic: string;
  readonly receivedAt: string;
  readonly code: string;
  readonly reason: string;
  /** Raw payload, base64. */
  readonly payload: string;
  readonly encoding: string;
}

export interface DeadLetterInput {
  readonly deviceId: string;
  readonly topic: string;
  readonly code: string;
  readonly reason: string;
  readonly payload: Buffer;
  readonly encoding: string;
  /** When the message arrived (ISO); default: when it is stored. */
  readonly receivedAt?: string;
}

export interface DeadLetterFilter {
  readonly deviceId?: string;
  readonly beforeId?: number;
  readonly limit: number;
  /** Only dead letters of stations of these departments (a token's scope); undefined = all. */
  readonly departments?: readonly string[];
}

export interface DeadLetterStore {
  /** Stores a batch in one transaction, oldest first; prunes beyond the store's bound. */
  insertMany(letters: readonly DeadLetterInput[]): Promise<void>;
  /** Newest first. */
  list(filter: DeadLetterFilter): Promise<DeadLetter[]>;
  /** Dead letters kept, in total or of the stations of `departments`. */
  count(departments?: readonly string[]): Promise<number>;
}
