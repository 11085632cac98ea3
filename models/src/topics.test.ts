import { test } from 'vitest';
import assert from 'node:assert/strict';
import { isOwnDownFilter, parseTopic, upTopic } from './topics.ts';
import type { ParsedTopic } from './topics.ts';

test('topics: parse our tree and nothing else', () => {
  assert.deepEqual(parseTopic(upTopic('st-01', 'readings')), { deviceId: 'st-01', direction: 'up', kind: 'readings' });
  assert.equal(parseTopic('shanshui/v1/st-01/up/other'), undefined);
  assert.equal(parseTopic('shanshui/v2/st-01/up/readings'), undefined);
  assert.equal(parseTopic('shanshui/v1/st-01/up/readings/x'), undefined);
  assert.equal(parseTopic('shanshui/v1/../up/readings'), undefined);
});

test('a device may subscribe only inside its own down/ subtree [MQTT-3.8.3]', () => {
  assert.ok(isOwnDownFilter('a1', 'shanshui/v1/a1/down/#'));
  assert.ok(isOwnDownFilter('a1', 'shanshui/v1/a1/down/command'));
  assert.ok(!isOwnDownFilter('a1', 'shanshui/v1/a2/down/#'));
  assert.ok(!isOwnDownFilter('a1', 'shanshui/v1/+/down/#'));
  assert.ok(!isOwnDownFilter('a1', 'shanshui/v1/a1/#'));
  assert.ok(!isOwnDownFilter('a1', '#'));
});

test('topics: the in-place scan parses exactly as splitting into five parts does, over generated topics', () => {
  const reference = (topic: string): ParsedTopic | undefined => {
    const parts = topic.split('/');
    if (parts.length !== 5 || parts[0] !== 'shanshui' || parts[1] !== 'v1') return undefined;
    const [, , deviceId, direction, kind] = parts as [string, string, string, string, string];
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(deviceId)) return undefined;
    if (direction === 'up' && ['readings', 'status', 'events'].includes(kind)) return { deviceId, direction, kind };
    if (direction === 'down' && ['config', 'command'].includes(kind)) return { deviceId, direction, kind };
    return undefined;
  };
  const pieces = ['shanshui', 'v1', 'v2', 'st-01', 'A', '', '.x', 'a'.repeat(64), 'a'.repeat(65), '中文', 'up', 'down', 'upx', 'dow', 'readings', 'status', 'events', 'config', 'command', 'other', '#', '+', 'shanshui/v1'];
  let s = 3;
  const r = (n: number): number => (s = (s * 16807) % 2147483647) % n;
  let parsed = 0;
  for (let k = 0; k < 20_000; k++) {
    // Mostly our tree's shape with one piece swapped, so both answers are exercised.
    const parts = ['shanshui', 'v1', ['st-01', 'A', 'a'.repeat(64)][r(3)]!, ['up', 'down'][r(2)]!, ['readings', 'status', 'events', 'config', 'command'][r(5)]!];
    for (let swaps = r(3); swaps > 0; swaps--) parts[r(5)] = pieces[r(pieces.length)]!;
    if (r(10) === 0) parts.splice(r(5), r(2) + 1, ...(r(2) ? [pieces[r(pieces.length)]!] : []));
    if (r(10) === 0) parts.push(pieces[r(pieces.length)]!);
    const topic = parts.join('/');
    const want = reference(topic);
    assert.deepEqual(parseTopic(topic), want, topic);
    if (want) parsed++;
  }
  assert.ok(parsed > 2_000 && parsed < 18_000, `both answers exercised (${parsed} parsed)`);
});
