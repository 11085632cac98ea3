import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StateStore } from './state-store.ts';
import { StationRegistry } from './station-registry.ts';
import { DeviceSecrets } from './device-secret.ts';

const secrets = new DeviceSecrets(Buffer.alloc(32, 7), { scryptCost: 1024 });

test('a state database from before child stations opens: its stations load without a gateway, and one can be set and survives reopening', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'state-store-'));
  try {
    const file = path.join(dir, 'state.db');
    // The stations table as the previous version created it (no gateway_id column).
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE stations (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
      region TEXT NOT NULL, department TEXT NOT NULL, attributes TEXT, created_at TEXT NOT NULL,
      secret_hash TEXT NOT NULL
    )`);
    const insert = old.prepare("INSERT INTO stations VALUES (?, ?, 'water', 23.1, 113.3, '440106', 'water', NULL, '2026-01-01T00:00:00.000Z', 'hash')");
    insert.run('gw-old', '网关');
    insert.run('rtu-old', '测站');
    old.close();

    let store = new StateStore(file);
    assert.deepEqual(store.allStations().map((s) => [s.id, s.gatewayId]), [['gw-old', undefined], ['rtu-old', undefined]]);
    let registry = new StationRegistry(store, secrets);
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), false);
    assert.equal(registry.update('rtu-old', { gatewayId: 'gw-old' })?.gatewayId, 'gw-old');
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), true);
    assert.equal(store.secretHash('rtu-old'), 'hash', 'credentials untouched');
    store.close();

    store = new StateStore(file);
    registry = new StationRegistry(store, secrets);
    assert.equal(registry.get('rtu-old')?.gatewayId, 'gw-old', 'persisted');
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), true);
    assert.equal(registry.update('rtu-old', { name: '测站 2' })?.gatewayId, 'gw-old', 'a change without gatewayId keeps it');
    assert.equal('gatewayId' in registry.update('rtu-old', { gatewayId: null })!, false, 'null detaches');
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), false);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
