import { test } from 'vitest';
import assert from 'node:assert/strict';
import { quoteIdent, quoteString, rangeInfluxQL } from './readings-query.ts';

test('InfluxQL of a range: quoted identifiers and literals, integer times', () => {
  const base = { stationId: 'st-1', department: 'water', domain: 'air' as const, metrics: ['pm25', 'pm10'], fromMs: 1000, toMs: 2000, limit: 10 };
  assert.equal(
    rangeInfluxQL(base),
    `SELECT "pm25", "q_pm25", "pm10", "q_pm10" FROM "air" WHERE "station" = 'st-1' AND "dept" = 'water' AND time >= 1000ms AND time < 2000ms ORDER BY time ASC LIMIT 11`,
  );
  assert.equal(
    rangeInfluxQL({ ...base, metrics: ['pm25'], window: '1h', agg: 'max' }),
    `SELECT max("pm25") AS "pm25" FROM "air" WHERE "station" = 'st-1' AND "dept" = 'water' AND time >= 1000ms AND time < 2000ms GROUP BY time(1h) fill(none) ORDER BY time ASC`,
  );
  assert.match(rangeInfluxQL({ ...base, window: '1d' }), /GROUP BY time\(1d, -8h\)/);
  assert.throws(() => rangeInfluxQL({ ...base, fromMs: 1.5 }), /integer/);
});

test('quoting escapes what would end the identifier or literal', () => {
  assert.equal(quoteString(`a' OR 1=1 --`), `'a\\' OR 1=1 --'`);
  assert.equal(quoteString('back\\slash'), `'back\\\\slash'`);
  assert.equal(quoteIdent('x"; DROP'), `"x\\"; DROP"`);
});
