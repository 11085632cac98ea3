/** The station registry's gateway index: children follow every way a station is stored, changed, re-parented or removed. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { openPlatformStore } from './open-platform-store.ts';
import { StationRegistry } from './station-registry.ts';
import { DeviceSecrets } from './device-secret.ts';

const secrets = new DeviceSecrets(Buffer.alloc(32, 7), { scryptCost: 1024 });
const base = { domain: 'water', lat: 23.1, lon: 113.3, region: '440106', department: 'water' } as const;
const ids = (list: ReadonlyArray<{ id: string }>): string[] => list.map((s) => s.id);

test('childrenOf follows registration, re-parenting, detaching, removal and a reopened store', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-registry-'));
  const store = await openPlatformStore({ sqliteFile: path.join(dir, 'state.db'), logger: pino({ level: 'silent' }) });
  try {
    const registry = await StationRegistry.open(store.stations, secrets);
    await registry.register({ id: 'gw-a', name: '网关 A', ...base });
    await registry.register({ id: 'gw-b', name: '网关 B', ...base });
    await registry.register({ id: 'rtu-2', name: '测站 2', gatewayId: 'gw-a', ...base });
    await registry.register({ id: 'rtu-1', name: '测站 1', gatewayId: 'gw-a', ...base });
    await registry.register({ id: 'rtu-3', name: '测站 3', ...base });
    assert.deepEqual(ids(registry.childrenOf('gw-a')), ['rtu-1', 'rtu-2'], 'ordered by id');
    assert.deepEqual(ids(registry.childrenOf('gw-b')), []);
    assert.deepEqual(ids(registry.childrenOf('rtu-3')), []);

    await registry.update('rtu-2', { gatewayId: 'gw-b' });
    await registry.update('rtu-3', { gatewayId: 'gw-b' });
    assert.deepEqual(ids(registry.childrenOf('gw-a')), ['rtu-1']);
    assert.deepEqual(ids(registry.childrenOf('gw-b')), ['rtu-2', 'rtu-3']);
    await registry.update('rtu-3', { name: '测站 3 新' });
    assert.deepEqual(ids(registry.childrenOf('gw-b')), ['rtu-2', 'rtu-3'], 'a change without gatewayId keeps the parent');
    assert.equal(registry.childrenOf('gw-b')[1]?.name, '测站 3 新', 'children are the stations as now cached');
    await registry.update('rtu-3', { gatewayId: null });
    assert.deepEqual(ids(registry.childrenOf('gw-b')), ['rtu-2']);

    await registry.remove('rtu-2');
    assert.deepEqual(ids(registry.childrenOf('gw-b')), [], 'a removed child is gone');
    await registry.remove('gw-a');
    assert.deepEqual(ids(registry.childrenOf('gw-a')), [], 'children of a removed gateway are detached');
    assert.equal(registry.get('rtu-1')?.gatewayId, undefined);

    await registry.update('rtu-1', { gatewayId: 'gw-b' });
    const reopened = await StationRegistry.open(store.stations, secrets);
    assert.deepEqual(ids(reopened.childrenOf('gw-b')), ['rtu-1'], 'loaded from the store');
    // Another node detached it: refresh (its change feed) moves it in the index too.
    const { gatewayId: _was, ...detached } = reopened.get('rtu-1')!;
    await store.stations.update(detached);
    await reopened.refresh('rtu-1');
    assert.deepEqual(ids(reopened.childrenOf('gw-b')), []);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
