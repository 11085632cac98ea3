/**
 * A histogram for the publish path: `observe(seconds)` finds its bucket and adds to plain
 * numbers; prom-client sees them only when /metrics is scraped. Same exposition as a
 * prom-client Histogram without labels (`_bucket{le}` cumulative, `_sum`, `_count`).
 */
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** What prom-client's Histogram#get resolves to (its type is not exported by name). */
type HistogramData = Awaited<ReturnType<Histogram['get']>>;
type HistogramValue = HistogramData['values'][number];

export interface TallyHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending (`+Inf` is added). */
  readonly buckets: readonly number[];
  readonly registry: Registry;
}

export class TallyHistogram {
  readonly #bounds: Float64Array;
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(o: TallyHistogramOptions) {
    this.#bounds = Float64Array.from(o.buckets);
    this.#counts = new Float64Array(o.buckets.length + 1);
    o.registry.registerMetric(new ScrapedHistogram(this, o));
  }

  observe(value: number): void {
    const b = this.#bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  /** What /metrics shows (cumulative buckets). */
  snapshot(): { readonly buckets: ReadonlyArray<readonly [le: number, cumulative: number]>; readonly sum: number; readonly count: number } {
    let acc = 0;
    const buckets: Array<readonly [number, number]> = [];
    for (let i = 0; i < this.#counts.length; i++) {
      acc += this.#counts[i]!;
      buckets.push([i < this.#bounds.length ? this.#bounds[i]! : Infinity, acc]);
    }
    return { buckets, sum: this.#sum, count: this.#count };
  }
}

/** The prom-client face of a TallyHistogram: its `get()` reads the tally at scrape time. */
class ScrapedHistogram extends Histogram {
  readonly #tally: TallyHistogram;
  readonly #name: string;
  readonly #help: string;

  constructor(tally: TallyHistogram, o: TallyHistogramOptions) {
    super({ name: o.name, help: o.help, buckets: [...o.buckets], registers: [] });
    this.#tally = tally;
    this.#name = o.name;
    this.#help = o.help;
  }

  override async get(): Promise<HistogramData> {
    const s = this.#tally.snapshot();
    const name = this.#name;
    const values: HistogramValue[] = s.buckets.map(([le, n]) => ({ labels: { le: le === Infinity ? '+Inf' : le }, value: n, metricName: `${name}_bucket` }));
    values.push({ labels: {}, value: s.sum, metricName: `${name}_sum` }, { labels: {}, value: s.count, metricName: `${name}_count` });
    // prom-client's runtime type is the string 'histogram' (its typings say an enum).
    return { name, help: this.#help, type: 'histogram', values, aggregator: 'sum' } as unknown as HistogramData;
  }

  /** The registry's text exposition asks this one first (prom-client 15). */
  getForPromString(): Promise<HistogramData> {
    return this.get();
  }
}
