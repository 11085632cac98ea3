/** publishRetainedConfigs: a config goes out at start only where the broker lacks it or holds an older version. */
import { test, expect } from 'vitest';
import type { AgentConfig } from '@shanshui/models';
import { publishRetainedConfigs } from './publish-retained-configs.ts';

const config = (version: number): AgentConfig => ({ version, sources: [] }) as unknown as AgentConfig;

test('published where none is held, an older one, or an unreadable one; kept where the same or a newer version is held', async () => {
  const held: Record<string, string | undefined> = { none: undefined, older: '{"version":1}', same: '{"version":2}', newer: '{"version":3}', garbage: 'not json', noVersion: '{"sources":[]}' };
  const published: string[] = [];
  const result = await publishRetainedConfigs({
    configs: Object.keys(held).map((stationId) => ({ stationId, config: config(2) })),
    retained: async (stationId) => (held[stationId] === undefined ? undefined : Buffer.from(held[stationId]!)),
    publish: async (stationId, c) => void published.push(`${stationId}@${c.version}`),
    concurrency: 2,
  });
  expect(published.sort()).toEqual(['garbage@2', 'noVersion@2', 'none@2', 'older@2']);
  expect(result).toEqual({ published: 4, kept: 2 });
});

test('no configs: nothing looked up, nothing published', async () => {
  const result = await publishRetainedConfigs({ configs: [], retained: async () => expect.unreachable(), publish: async () => expect.unreachable() });
  expect(result).toEqual({ published: 0, kept: 0 });
});
