/**
 * One leader per name in the cluster (cross-station rules: corroboration, stale stations).
 * PostgreSQL: `pg_try_advisory_lock` held on a dedicated connection — the lock lives exactly
 * as long as that session, so a leader killed with -9 loses it as soon as the server notices
 * the dead connection, and a follower polling every `retryMs` takes over. SQLite (one node):
 * always the leader.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import pg from 'pg';

export interface Leadership {
  /** Whether this node leads now. */
  readonly isLeader: boolean;
  /** Resolves once this node leads (at once when it does already). */
  untilLeader(): Promise<void>;
  /** 'change' (isLeader) whenever leadership is won or lost. */
  readonly events: EventEmitter<{ change: [isLeader: boolean] }>;
  /** Gives the leadership up (if held) and stops campaigning. */
  close(): Promise<void>;
}

/** The leader of a single node: itself, from the start to the end. */
export class SoleLeadership implements Leadership {
  readonly isLeader = true;
  readonly events = new EventEmitter<{ change: [isLeader: boolean] }>();

  async untilLeader(): Promise<void> {}

  async close(): Promise<void> {}
}

/** A signed 64-bit advisory lock key from a name (stable across nodes and releases). */
export function advisoryKey(name: string): bigint {
  return createHash('sha256').update(`shanshui-leader:${name}`).digest().readBigInt64BE(0);
}

export interface PostgresLeadershipOptions {
  readonly connectionString: string;
  readonly name: string;
  /** How often a follower tries for the lock, and a leader checks its connection, ms. Default 1000. */
  readonly retryMs?: number;
  /** Called on errors of the dedicated connection (logged by the caller). */
  readonly onError?: (err: unknown) => void;
}

export class PostgresLeadership implements Leadership {
  readonly events = new EventEmitter<{ change: [isLeader: boolean] }>();
  readonly #o: PostgresLeadershipOptions;
  readonly #key: string;
  #client: pg.Client | undefined;
  #leader = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: PostgresLeadershipOptions) {
    this.#o = options;
    this.#key = advisoryKey(options.name).toString();
    this.#running = this.#tick();
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  untilLeader(): Promise<void> {
    if (this.#leader) return Promise.resolve();
    return new Promise((resolve) => {
      const on = (leader: boolean): void => {
        if (!leader) return;
        this.events.off('change', on);
        resolve();
      };
      this.events.on('change', on);
    });
  }

  #set(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.events.emit('change', leader);
  }

  async #tick(): Promise<void> {
    try {
      if (!this.#client) {
        const client = new pg.Client({ connectionString: this.#o.connectionString });
        client.on('error', (err) => {
          this.#o.onError?.(err);
          this.#drop(client);
        });
        await client.connect();
        if (this.#closed) {
          await client.end();
          return;
        }
        this.#client = client;
      }
      if (this.#leader) {
        // Still ours while the session lives: a query that fails means the session (and the lock) is gone.
        await this.#client.query('SELECT 1');
      } else {
        const res = await this.#client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.#key]);
        if (this.#closed) return;
        this.#set(res.rows[0]?.locked === true);
      }
    } catch (err) {
      this.#o.onError?.(err);
      if (this.#client) this.#drop(this.#client);
    } finally {
      if (!this.#closed) {
        this.#timer = setTimeout(() => {
          this.#running = this.#tick();
        }, this.#o.retryMs ?? 1000);
      }
    }
  }

  #drop(client: pg.Client): void {
    if (this.#client === client) this.#client = undefined;
    this.#set(false);
    void client.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
    const client = this.#client;
    this.#client = undefined;
    this.#set(false);
    // Ending the session releases its advisory locks.
    if (client) await client.end().catch(() => undefined);
  }
}
