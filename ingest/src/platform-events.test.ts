import { test, expect } from 'vitest';
import { pino } from 'pino';
import type { Station } from '@shanshui/models';
import { createPlatformEvents, subscribeConsumers } from './platform-events.ts';
import type { ReadingsDurable } from './platform-events.ts';

const station: Station = { id: 'air-1', name: '站', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' };

test('consumers registered as one list each get their events; one that throws reaches neither the emitter nor the others; unsubscribe ends it', () => {
  const events = createPlatformEvents();
  const seen: string[] = [];
  const logged: unknown[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const unsubscribe = subscribeConsumers(
    events,
    [
      { name: 'broken', on: { readingsDurable: () => { throw new Error('boom'); } } },
      { name: 'rules', on: { readingsDurable: (e: ReadingsDurable) => seen.push(`rules:${e.station.id}:${e.seq}`), stationRemoved: (s) => seen.push(`rules-removed:${s.id}`) } },
      { name: 'latest', on: { readingsDurable: (e) => seen.push(`latest:${e.readings.length}`) } },
    ],
    logger,
  );
  expect(() => events.emit('readingsDurable', { station, seq: 7, readings: [] })).not.toThrow();
  events.emit('stationRemoved', station);
  expect(seen).toEqual(['rules:air-1:7', 'latest:0', 'rules-removed:air-1']);
  expect(logged).toMatchObject([{ consumer: 'broken', event: 'readingsDurable', msg: 'platform event consumer failed' }]);
  unsubscribe();
  events.emit('readingsDurable', { station, seq: 8, readings: [] });
  expect(seen).toHaveLength(3);
  expect(events.listenerCount('readingsDurable')).toBe(0);
});
