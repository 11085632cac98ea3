/**
 * The tallies show on /metrics exactly what prom-client's own Counter and Histogram show for
 * the same observations (differential: the same registry text, line for line).
 */
import { expect, test } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { LabelledTallyCounter, TallyCounter } from './tally-counter.ts';
import { TallyHistogram } from './tally-histogram.ts';

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5];

test('a tally histogram exposes the same buckets, sum and count as a prom-client Histogram', async () => {
  const mine = new Registry();
  const theirs = new Registry();
  const tally = new TallyHistogram({ name: 'x_seconds', help: 'h', buckets: BUCKETS, registry: mine });
  const hist = new Histogram({ name: 'x_seconds', help: 'h', buckets: BUCKETS, registers: [theirs] });
  // Before any observation, both show zero buckets.
  expect(await mine.metrics()).toBe(await theirs.metrics());
  // Values on the bounds, between them, and beyond the last one (+Inf).
  for (const v of [0, 0.0005, 0.0007, 0.001, 0.003, 0.02, 0.2, 0.5, 0.75, 3, 0.0001, 0.049]) {
    tally.observe(v);
    hist.observe(v);
  }
  expect(await mine.metrics()).toBe(await theirs.metrics());
  // JSON too (prom-client adds an empty exemplar to each of its values).
  const withoutExemplars = (json: unknown): unknown => JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === 'exemplar' ? undefined : v)));
  expect(withoutExemplars(await mine.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
});

test('tally counters expose the same text as prom-client Counters, with and without a label', async () => {
  const mine = new Registry();
  const theirs = new Registry();
  const plain = new TallyCounter({ name: 'a_total', help: 'a', registry: mine });
  const labelled = new LabelledTallyCounter({ name: 'b_total', help: 'b', label: 'kind', registry: mine });
  const plainC = new Counter({ name: 'a_total', help: 'a', registers: [theirs] });
  const labelledC = new Counter({ name: 'b_total', help: 'b', labelNames: ['kind'], registers: [theirs] });
  expect(await mine.metrics()).toBe(await theirs.metrics());
  plain.inc();
  plain.inc(41);
  plainC.inc();
  plainC.inc(41);
  for (const [kind, n] of [['readings', 1], ['status', 2], ['readings', 5]] as const) {
    labelled.inc({ kind }, n);
    labelledC.inc({ kind }, n);
  }
  expect(await mine.metrics()).toBe(await theirs.metrics());
  // A second scrape shows the same totals (collect() refills, never adds twice).
  expect(await mine.metrics()).toBe(await theirs.metrics());
  expect(plain.value).toBe(42);
  expect(labelled.get('readings')).toBe(6);
});
