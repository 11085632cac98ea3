/**
 * The metric id rules of the catalogue schema: a metric id is an InfluxDB field name beside the
 * `q_{metric}` quality string fields and InfluxDB's own `time` column, so it may not be either.
 */
import { test, expect } from 'vitest';
import { CATALOGUE } from './catalogue.ts';
import { MetricDefSchema, ProfileSchema } from './catalogue-schema.ts';

const metric = { name: '臭气浓度', nameEn: 'odour', unit: '', precision: 0, min: 0, max: 100 };
const profile = { id: 'odour-x', name: '恶臭', domain: 'air', customMetrics: [{ ...metric, id: 'odour' }] };

test('a metric id that is time or starts with q_ is refused, naming the id and why', () => {
  for (const id of ['time', 'q_pm25', 'q_', 'q_odour_concentration']) {
    const res = MetricDefSchema.safeParse({ ...metric, id });
    expect(res.success, id).toBe(false);
    expect(res.error!.issues).toEqual([expect.objectContaining({ path: ['id'], message: expect.stringMatching(id === 'time' ? /must not be time: InfluxDB's own time column/ : /must not start with q_: the quality field of metric/) })]);
  }
  const res = ProfileSchema.safeParse({ ...profile, customMetrics: [{ ...metric, id: 'odour' }, { ...metric, id: 'q_pm25' }] });
  expect(res.success).toBe(false);
  expect(res.error!.issues.map((i) => i.path)).toEqual([['customMetrics', 1, 'id']]);
});

test('ids merely like them are still metric ids: timer, times, q, qa_pm25, aq_index', () => {
  for (const id of ['timer', 'times', 'time_of_flight', 'q', 'qa_pm25', 'aq_index', 'odour']) {
    expect(MetricDefSchema.safeParse({ ...metric, id }).success, id).toBe(true);
  }
  expect(ProfileSchema.safeParse(profile).success).toBe(true);
});

test('no built-in metric id is affected', () => {
  const ids = [...CATALOGUE.common, ...CATALOGUE.domains.flatMap((d) => d.metrics)].map((m) => m.id);
  expect(ids.length).toBeGreaterThan(50);
  expect(ids.filter((id) => id === 'time' || id.startsWith('q_'))).toEqual([]);
});
