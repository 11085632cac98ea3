/**
 * Dead letters have a spool of their own (fsynced before the PUBACK like readings) and this
 * drain moves them into the platform store. A store that is down holds back only dead letters:
 * readings keep flowing to InfluxDB from their own spool. Committed only once stored; retried
 * with backoff; the loop never throws.
 */
import type { Logger } from 'pino';
import { Backoff } from '@shanshui/models';
import type { Spool } from '../spool/spool.ts';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';
import { parseDeadLetterRecord } from './dead-letter-record.ts';

export class DeadLetterDrain {
  readonly #spool: Spool;
  readonly #store: (letters: DeadLetterInput[]) => Promise<void>;
  readonly #log: Logger;
  readonly #backoff = new Backoff({ minMs: 200, maxMs: 5000 });
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(spool: Spool, store: (letters: DeadLetterInput[]) => Promise<void>, logger: Logger) {
    this.#spool = spool;
    this.#store = store;
    this.#log = logger.child({ component: 'dead-letter-drain' });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let failing = false;
    while (this.#running) {
      try {
        const batch = await this.#spool.read(256 * 1024);
        if (!batch) {
          await Promise.race([this.#spool.waitForData(), new Promise<void>((r) => (this.#wake = r))]);
          continue;
        }
        const letters = batch.records.flatMap((r) => {
          const d = parseDeadLetterRecord(r);
          return d ? [d] : [];
        });
        await this.#store(letters);
        await this.#spool.commit(batch.end);
        if (failing) this.#log.info('dead letters are stored again');
        failing = false;
        this.#backoff.reset();
      } catch (err) {
        this.#spool.rewind();
        if (!failing) this.#log.warn({ err }, 'dead letters not stored; they wait in their spool');
        failing = true;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.#backoff.next());
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }
}
