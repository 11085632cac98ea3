import { test } from 'vitest';
import assert from 'node:assert/strict';
import { isOwnDownFilter, parseTopic, upTopic } from './topics.ts';

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
