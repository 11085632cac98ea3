/**
 * Counters for the publish path: a plain number (or one per value of a single label) added to
 * per message, handed to prom-client only when /metrics is scraped (its `collect()`). A
 * prom-client `inc()` hashes its label object on every call; this is an addition.
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

export interface TallyOptions {
  readonly name: string;
  readonly help: string;
  readonly registry: Registry;
}

/** A counter without labels whose value `read` gives when /metrics is scraped (a count kept elsewhere). */
export function scrapedCounter(o: TallyOptions, read: () => number): void {
  new Counter({
    name: o.name,
    help: o.help,
    registers: [o.registry],
    collect() {
      this.reset();
      const n = read();
      if (n > 0) this.inc(n);
    },
  });
}

/** A counter without labels: `inc(n)` adds to a number. */
export class TallyCounter {
  #value = 0;

  constructor(o: TallyOptions) {
    scrapedCounter(o, () => this.#value);
  }

  inc(n = 1): void {
    this.#value += n;
  }

  get value(): number {
    return this.#value;
  }
}

/** A counter with one label: `inc({ label: value }, n)` adds to that value's number. */
export class LabelledTallyCounter<L extends string> {
  readonly #label: L;
  readonly #values = new Map<string, number>();

  constructor(o: TallyOptions & { readonly label: L }) {
    this.#label = o.label;
    const self = this;
    new Counter<L>({
      name: o.name,
      help: o.help,
      labelNames: [o.label],
      registers: [o.registry],
      collect() {
        this.reset();
        for (const [v, n] of self.#values) this.inc({ [self.#label]: v } as Partial<Record<L, string>>, n);
      },
    });
  }

  inc(labels: Readonly<Record<L, string>>, n = 1): void {
    const v = labels[this.#label];
    this.#values.set(v, (this.#values.get(v) ?? 0) + n);
  }

  /** The count of one label value (tests, status). */
  get(value: string): number {
    return this.#values.get(value) ?? 0;
  }
}
