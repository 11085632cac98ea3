/** The platform store on SQLite: the contract, and databases made by earlier releases migrated in place. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pino } from 'pino';
import { platformStoreContract } from './store-contract.ts';
import type { StoreTestDatabase } from './store-contract.ts';
import { openPlatformStore } from './open-platform-store.ts';
import type { PlatformStore } from './platform-store.ts';
import { StationRegistry } from './station-registry.ts';
import { MIGRATIONS } from './sql/migrations.ts';
import { DeviceSecrets } from './device-secret.ts';

const secrets = new DeviceSecrets(Buffer.alloc(32, 7), { scryptCost: 1024 });

const logger = pino({ level: 'silent' });

async function sqliteDatabase(): Promise<StoreTestDatabase & { file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-store-'));
  const file = path.join(dir, 'state.db');
  const opened: PlatformStore[] = [];
  // SQLite serves one node: "another node" is the same process and connection (a second
  // connection in this process would wait on the first one's write lock with the thread blocked).
  let shared: { store: PlatformStore; users: number } | undefined;
  return {
    file,
    async open() {
      if (!shared) {
        const store = await openPlatformStore({ sqliteFile: file, logger });
        opened.push(store);
        shared = { store, users: 0 };
      }
      const current = shared;
      current.users++;
      return {
        ...current.store,
        async close() {
          if (--current.users > 0) return;
          if (shared === current) shared = undefined;
          await current.store.close();
        },
      };
    },
    async query(sql) {
      const db = new DatabaseSync(file);
      try {
        return db.prepare(sql).all() as Array<Record<string, unknown>>;
      } finally {
        db.close();
      }
    },
    async drop() {
      for (const s of opened) await s.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

platformStoreContract('SQLite', sqliteDatabase);

test('SQLite: a state database written by release 0.1.0 migrates in place and every record kind reads back', async () => {
  const db = await sqliteDatabase();
  try {
    const old = new DatabaseSync(db.file);
    old.exec(await readFile(new URL('./sql/fixtures/release-0.1.0-state.sql', import.meta.url), 'utf8'));
    old.close();
    const store = await db.open();
    assert.deepEqual(await store.schemaVersions(), MIGRATIONS.map((m) => m.version));
    assert.deepEqual((await store.stations.all()).map((s) => [s.id, s.gatewayId ?? null, s.attributes ?? null]), [['gw-1', null, null], ['rtu-1', 'gw-1', { basin: '珠江' }]]);
    assert.equal(await store.stations.secretHash('gw-1'), 'scrypt$16384$8$1$c2FsdA$aGFzaA', 'credentials untouched: devices connect without a reset');
    assert.equal((await store.deadLetters.list({ limit: 10 }))[0]?.payload, Buffer.from([1, 2, 3]).toString('base64'));
    assert.equal((await store.delivery.load()).get('gw-1')?.lastSeq, 3);
    assert.deepEqual(await store.presence.get('gw-1'), { online: true, since: (await store.presence.get('gw-1'))!.since, remoteAddress: '10.0.0.1', nodeId: 'local' });
    assert.equal((await store.provisioning.getConfig('gw-1'))?.version, 1);
    assert.equal((await store.tokens.list()).length, 1);
    assert.equal((await store.audit.list({ limit: 10 }))[0]?.target, 'gw-1');
    assert.equal((await store.commands.open('gw-1', Date.parse('2020-01-01'))).length, 1);
    assert.equal((await store.subscriptions.all())[0]?.name, 'centre');
    assert.equal((await store.alerts.openFor('gw-1', 'water-level'))?.level, 'orange');
    assert.ok((await store.rules.all()).length > 10, 'seeded default rules');
    assert.equal(await store.rules.seedOnce([]), 0, 'and they are not seeded again');
    await store.outbox.enqueue([{ subscriptionId: 'sub-x', idempotencyKey: 'k', eventType: 'alert.firing', alertId: 'al-1', contentType: 'x', body: 'b' }], Date.now());
    assert.ok((await store.outbox.claimHead('sub-x', 'local', Date.now(), 1000)).delivery, 'the outbox takes claims (migration 2)');
  } finally {
    await db.drop();
  }
});

test('SQLite: a database from before child stations (no gateway_id) opens; a gateway can be set and survives reopening', async () => {
  const db = await sqliteDatabase();
  try {
    const old = new DatabaseSync(db.file);
    old.exec(`CREATE TABLE stations (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
      region TEXT NOT NULL, department TEXT NOT NULL, attributes TEXT, created_at TEXT NOT NULL,
      secret_hash TEXT NOT NULL
    )`);
    const insert = old.prepare("INSERT INTO stations VALUES (?, ?, 'water', 23.1, 113.3, '440106', 'water', NULL, '2026-01-01T00:00:00.000Z', 'hash')");
    insert.run('gw-old', '网关');
    insert.run('rtu-old', '测站');
    old.close();

    let store = await db.open();
    assert.deepEqual((await store.stations.all()).map((s) => [s.id, s.gatewayId]), [['gw-old', undefined], ['rtu-old', undefined]]);
    let registry = await StationRegistry.open(store.stations, secrets);
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), false);
    assert.equal((await registry.update('rtu-old', { gatewayId: 'gw-old' }))?.gatewayId, 'gw-old');
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), true);
    assert.equal(await store.stations.secretHash('rtu-old'), 'hash', 'credentials untouched');
    await store.close();

    store = await db.open();
    registry = await StationRegistry.open(store.stations, secrets);
    assert.equal(registry.get('rtu-old')?.gatewayId, 'gw-old', 'persisted');
    assert.equal((await registry.update('rtu-old', { name: '测站 2' }))?.gatewayId, 'gw-old', 'a change without gatewayId keeps it');
    assert.equal('gatewayId' in (await registry.update('rtu-old', { gatewayId: null }))!, false, 'null detaches');
    assert.equal(registry.mayPublishFor('gw-old', 'rtu-old'), false);
  } finally {
    await db.drop();
  }
});
