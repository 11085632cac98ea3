/**
 * The contract every PlatformStore backend passes (STYLE §5, like spool-contract.ts): run by
 * sqlite-store.test.ts against SQLite and by test/e2e/postgres-store.test.ts against a real
 * PostgreSQL. "Two nodes" are two stores opened on the same database.
 */
import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import type { StationInput } from '@shanshui/models';
import type { PlatformStore } from './platform-store.ts';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { AlertChange } from '../alerts/alert-store.ts';
import type { OutboxInput } from '../webhooks/outbox-store.ts';
import { toRule, stateKey } from '../rules/rule-store.ts';
import { emptyRuleState } from '../rules/rule-state.ts';
import { MIGRATIONS } from './sql/migrations.ts';

/** One empty database for one test. */
export interface StoreTestDatabase {
  /** A platform node's store on this database (call twice for two nodes). */
  open(): Promise<PlatformStore>;
  /** A query from outside the store (another client of the same database). */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Drops the database and closes what `open` and `query` opened. */
  drop(): Promise<void>;
}

const station = (id: string, extra: Partial<StationInput> = {}): StationInput => ({
  id,
  name: `站 ${id}`,
  domain: 'water',
  lat: 23.1,
  lon: 113.3,
  region: '440106',
  department: 'water',
  ...extra,
});

const T0 = Date.parse('2026-01-01T00:00:00Z');

function newAlert(stationId: string, ruleId: string, at: string): Alert {
  return {
    id: `al-${stationId}-${ruleId}-${Math.random().toString(36).slice(2, 8)}`,
    stationId,
    stationName: `站 ${stationId}`,
    ruleId,
    ruleName: ruleId,
    ruleKind: 'threshold',
    domain: 'water',
    region: '440106',
    department: 'water',
    level: 'yellow',
    state: 'firing',
    value: 1,
    message: 'm',
    openedAt: at,
    updatedAt: at,
    escalatedAt: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    ackNote: null,
    resolvedAt: null,
  };
}

/** Opens an alert for (station, rule) unless one is open: the rule-fires decision. */
const fire =
  (stationId: string, ruleId: string, at: string) =>
  (open: Alert | undefined): AlertChange | undefined =>
    open ? undefined : { alert: newAlert(stationId, ruleId, at), insert: true, type: 'firing', message: 'fired', by: null, at };

const toSub = (subscriptionId: string) => (alert: Alert, event: AlertEvent): OutboxInput[] => [
  { subscriptionId, idempotencyKey: event.id, eventType: `alert.${event.type}`, alertId: alert.id, contentType: 'application/json', body: JSON.stringify({ id: event.id }) },
];

export function platformStoreContract(name: string, database: () => Promise<StoreTestDatabase>): void {
  const withStore = (title: string, fn: (store: PlatformStore, db: StoreTestDatabase) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const db = await database();
      const store = await db.open();
      try {
        await fn(store, db);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  };

  withStore('migrations: every numbered migration is recorded once; opening again applies none', async (store, db) => {
    assert.deepEqual(await store.schemaVersions(), MIGRATIONS.map((m) => m.version));
    const again = await db.open();
    assert.deepEqual(await again.schemaVersions(), MIGRATIONS.map((m) => m.version));
    await again.close();
    const rows = await db.query('SELECT version FROM schema_migrations');
    assert.equal(rows.length, MIGRATIONS.length);
  });

  withStore('stations: insert, get, list with filters and scope, update, credentials, remove with its records', async (store) => {
    const s = store.stations;
    const a = await s.insert(station('st-a', { attributes: { basin: '珠江', fld: 12.5, tidal: true } }), 'hash-a');
    await s.insert(station('st-b', { department: 'eco-env', domain: 'air', region: '440305' }), 'hash-b');
    await s.insert(station('st-c', { gatewayId: 'st-a' }), 'hash-c');
    await expect(s.insert(station('st-a'), 'again')).rejects.toThrow();
    assert.deepEqual(await s.get('st-a'), a);
    assert.equal((await s.get('st-c'))?.gatewayId, 'st-a');
    assert.deepEqual((await s.all()).map((x) => x.id), ['st-a', 'st-b', 'st-c']);
    assert.deepEqual(await s.list({ limit: 10, offset: 0, departments: ['water'] }).then((p) => [p.total, p.items.map((x) => x.id)]), [2, ['st-a', 'st-c']]);
    assert.deepEqual((await s.list({ limit: 10, offset: 0, region: '4403' })).items.map((x) => x.id), ['st-b']);
    assert.deepEqual((await s.list({ limit: 1, offset: 1 })).items.map((x) => x.id), ['st-b']);
    assert.equal((await s.list({ limit: 10, offset: 0, departments: [] })).total, 0, 'an empty scope sees nothing');
    assert.equal(await s.secretHash('st-b'), 'hash-b');
    assert.equal(await s.setSecretHash('st-b', 'hash-b2'), true);
    assert.equal(await s.secretHash('st-b'), 'hash-b2');
    assert.equal(await s.update({ ...a, name: '新名', lat: 24 }), true);
    assert.equal((await s.get('st-a'))?.name, '新名');
    assert.equal(await s.update({ ...a, id: 'nope' }), false);
    await store.presence.set('st-a', true, '10.0.0.1', 'n1');
    await store.delivery.save(new Map([['st-a', { lastSeq: 1, received: 1, duplicates: 0, gaps: 0, missing: 0, late: 0, resets: 0, rejected: 0, lastAt: '' }]]));
    await store.delivery.saveStays([{ deviceId: 'st-a', stayId: 'n1/a/1', nodeId: 'n1', startedAt: T0, firstSeq: 1, stats: { lastSeq: 1, received: 1, duplicates: 0, gaps: 0, missing: 0, late: 0, resets: 0, rejected: 0, lastAt: '' }, final: false }]);
    await store.deadLetters.insertMany([{ deviceId: 'st-a', topic: 't', code: 'C', reason: 'r', payload: Buffer.from('x'), encoding: 'json' }]);
    assert.equal(await s.remove('st-a'), true);
    assert.equal(await s.remove('st-a'), false);
    assert.equal(await store.presence.get('st-a'), undefined, 'presence goes with the station');
    assert.equal((await store.delivery.load()).has('st-a'), false, 'delivery statistics too');
    assert.equal((await store.delivery.staysOf(['st-a'])).size, 0, 'and their stays');
    assert.equal(await store.deadLetters.count(), 0, 'dead letters too');
    assert.equal(await s.detachChildren('st-a'), 1);
    assert.equal((await s.get('st-c'))?.gatewayId, undefined);
  });

  withStore('stations: the change feed names every station written since a point, by any node', async (store, db) => {
    const start = await store.stations.changesSince(undefined);
    assert.deepEqual(start.stationIds, []);
    const other = await db.open();
    await other.stations.insert(station('st-x'), 'h');
    await other.stations.insert(station('st-y', { gatewayId: 'st-x' }), 'h');
    const first = await store.stations.changesSince(start.lastId);
    assert.deepEqual(first.stationIds, ['st-x', 'st-y']);
    assert.deepEqual((await store.stations.changesSince(first.lastId)).stationIds, [], 'nothing new');
    await other.stations.setSecretHash('st-x', 'h2');
    await other.stations.detachChildren('st-x');
    await other.stations.remove('st-x');
    await other.stations.update({ ...(await other.stations.get('st-y'))!, name: 'y' });
    assert.deepEqual((await store.stations.changesSince(first.lastId)).stationIds, ['st-x', 'st-y']);
    await other.close();
  });

  withStore('provisioning: a bootstrap token is consumed once, expires, and goes with its station; agent configs by version', async (store) => {
    const p = store.provisioning;
    const { token } = await p.createToken('gw-1', 60, T0);
    const results = await Promise.all([p.consumeToken(token, '10.0.0.1', T0 + 1000), p.consumeToken(token, '10.0.0.2', T0 + 1001)]);
    assert.equal(results.filter((r) => r.ok).length, 1, 'one winner');
    assert.deepEqual(await p.consumeToken(token, 'x', T0 + 2000), { ok: false, reason: 'used', stationId: 'gw-1' });
    const late = await p.createToken('gw-1', 1, T0);
    assert.deepEqual(await p.consumeToken(late.token, 'x', T0 + 5000), { ok: false, reason: 'expired', stationId: 'gw-1' });
    assert.deepEqual(await p.consumeToken('sst_unknown', 'x', T0), { ok: false, reason: 'unknown' });
    const config = { version: 2, sources: [] } as unknown as Parameters<typeof p.setConfig>[1];
    assert.equal(await p.setConfig('gw-1', config), true);
    assert.deepEqual(await p.getConfig('gw-1'), config);
    // Only a higher version replaces it: the same one again (a concurrent request that lost) or an older one is refused.
    const rival = { version: 2, sources: [{ kind: 'sl651', port: 9652 }] } as unknown as Parameters<typeof p.setConfig>[1];
    assert.equal(await p.setConfig('gw-1', rival), false);
    assert.equal(await p.setConfig('gw-1', { ...config, version: 1 }), false);
    assert.deepEqual(await p.getConfig('gw-1'), config);
    assert.deepEqual(await p.allConfigs(), [{ stationId: 'gw-1', config }]);
    await p.deleteStation('gw-1');
    assert.equal(await p.getConfig('gw-1'), undefined);
  });

  withStore('provisioning: the applied agent config is the published version the agent reported, not the latest desired one', async (store) => {
    const p = store.provisioning;
    const v = (version: number, command?: string) =>
      ({ version, sources: command ? [{ kind: 'opcua', commands: [{ name: command }] }] : [] }) as unknown as Parameters<typeof p.setConfig>[1];
    assert.equal(await p.getApplied('gw-2'), undefined);
    await p.setConfig('gw-2', v(1));
    await p.setConfig('gw-2', v(2, 'open_gate'));
    assert.equal(await p.markApplied('gw-2', 1, T0), true);
    assert.equal(await p.markApplied('gw-2', 1, T0 + 500), false, 'the same version again keeps its first time');
    assert.deepEqual(await p.getApplied('gw-2'), { version: 1, config: v(1), at: new Date(T0).toISOString() });
    assert.deepEqual(await p.getConfig('gw-2'), v(2, 'open_gate'), 'desired stays the latest');
    assert.equal(await p.markApplied('gw-2', 9, T0), false, 'a version never published');
    assert.equal(await p.markApplied('gw-2', 2, T0 + 1000), true);
    assert.deepEqual((await p.getApplied('gw-2'))?.config, v(2, 'open_gate'));
    assert.equal(await p.markApplied('gw-2', 1, T0 + 2000), false, 'an older version is forgotten once a newer one is applied');
    assert.equal((await p.getApplied('gw-2'))?.version, 2);
    await p.deleteStation('gw-2');
    assert.equal(await p.getApplied('gw-2'), undefined);
  });

  withStore('API tokens: only the hash is stored; they expire and can be revoked', async (store, db) => {
    const t = store.tokens;
    const { token, secret } = await t.create({ name: 'water-ops', role: 'operator', departments: ['water'], ttlSec: 60, createdBy: 'admin' }, T0);
    assert.match(secret, /^ssk_[A-Za-z0-9_-]{43}$/);
    const raw = JSON.stringify(await db.query('SELECT * FROM api_tokens'));
    assert.ok(!raw.includes(secret) && !raw.includes(secret.slice(4)), 'the secret is not stored');
    const ok = await t.verify(secret, T0 + 1000);
    assert.ok(ok.ok && ok.principal.id === token.id && ok.principal.role === 'operator');
    assert.deepEqual(ok.ok && ok.principal.departments, ['water']);
    assert.deepEqual(await t.verify(`${secret}x`, T0), { ok: false, reason: 'unknown' });
    assert.deepEqual(await t.verify(secret, T0 + 60_000), { ok: false, reason: 'expired' });
    assert.equal((await t.get(token.id, T0 + 60_000))!.state, 'expired');
    const other = await t.create({ name: 'centre', role: 'admin', departments: '*', ttlSec: 3600, createdBy: 'admin' }, T0);
    assert.equal(await t.revoke(other.token.id, 'admin', T0 + 10), true);
    assert.equal(await t.revoke(other.token.id, 'admin', T0 + 11), true, 'idempotent');
    assert.deepEqual(await t.verify(other.secret, T0 + 20), { ok: false, reason: 'revoked' });
    assert.equal(await t.revoke('tok_nope', 'admin'), false);
    const listed = await t.list(T0 + 20);
    assert.deepEqual(listed.map((x) => x.state).sort(), ['active', 'revoked']);
    assert.ok(!JSON.stringify(listed).includes('ssk_'));
  });

  const actor = { id: 'tok_1', name: 'water-ops', role: 'operator' };
  const entry = (target: string, departments: string[] | null, summary: unknown = {}) => ({ actor, ip: '10.0.0.1', method: 'POST', route: '/api/v1/x', status: 201, target, departments, summary });

  withStore('audit log: append-only — the database itself refuses UPDATE and DELETE', async (store, db) => {
    await store.audit.append(entry('st-1', ['water']));
    await expect(db.query("UPDATE audit_log SET actor_name = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    assert.equal((await store.audit.list({ limit: 10 }))[0]!.actorName, 'water-ops');
  });

  withStore('audit log: secrets never reach it; filters by actor, target, departments; pages by id', async (store) => {
    const log = store.audit;
    await log.append(entry('sub-1', ['water'], { name: 'x', secret: 'hmac-key-123456789012345678', nested: { password: 'p', apiToken: 't' }, passwords: { a: 'b' } }));
    await log.append(entry('sub-2', ['water', 'eco-env']));
    await log.append(entry('rule-global', null));
    await log.append({ ...entry('st-9', ['eco-env']), actor: { id: 'admin', name: 'admin', role: 'admin' } });
    const all = await log.list({ limit: 10 });
    assert.deepEqual(all.map((e) => e.target), ['st-9', 'rule-global', 'sub-2', 'sub-1']);
    assert.deepEqual(all[3]!.summary, { name: 'x', secret: '[redacted]', nested: { password: '[redacted]', apiToken: '[redacted]' }, passwords: '[redacted]' });
    assert.deepEqual((await log.list({ limit: 10, departments: ['water'] })).map((e) => e.target), ['sub-1'], 'only entries wholly inside the scope');
    assert.deepEqual((await log.list({ limit: 10, departments: ['water', 'eco-env'] })).map((e) => e.target), ['st-9', 'sub-2', 'sub-1'], 'global entries only for scope *');
    assert.deepEqual((await log.list({ limit: 10, actor: 'admin' })).map((e) => e.target), ['st-9']);
    assert.deepEqual((await log.list({ limit: 10, target: 'sub-2' })).map((e) => e.target), ['sub-2']);
    assert.deepEqual((await log.list({ limit: 2, beforeId: all[1]!.id })).map((e) => e.target), ['sub-2', 'sub-1']);
  });

  withStore('dead letters: stored in batches with their payload bytes, newest first, scoped by the station department', async (store) => {
    await store.stations.insert(station('st-w'), 'h');
    const payload = Buffer.from([0, 1, 2, 250, 255]);
    await store.deadLetters.insertMany([
      { deviceId: 'st-w', topic: 'shanshui/v1/st-w/up/readings', code: 'INGEST_ERR_PAYLOAD_INVALID', reason: 'bad', payload, encoding: 'cbor', receivedAt: '2026-01-01T00:00:00.000Z' },
      { deviceId: 'ghost', topic: 'shanshui/v1/ghost/up/readings', code: 'INGEST_ERR_PAYLOAD_INVALID', reason: 'bad', payload: Buffer.from('{}'), encoding: 'json' },
    ]);
    const all = await store.deadLetters.list({ limit: 10 });
    assert.deepEqual(all.map((d) => d.deviceId), ['ghost', 'st-w']);
    assert.equal(all[1]!.payload, payload.toString('base64'));
    assert.equal(all[1]!.receivedAt, '2026-01-01T00:00:00.000Z');
    assert.deepEqual((await store.deadLetters.list({ limit: 10, departments: ['water'] })).map((d) => d.deviceId), ['st-w'], 'a device that is no station: scope * only');
    assert.equal(await store.deadLetters.count(['water']), 1);
    assert.equal(await store.deadLetters.count(), 2);
    assert.deepEqual((await store.deadLetters.list({ limit: 10, beforeId: all[0]!.id })).map((d) => d.deviceId), ['st-w']);
  });

  withStore('rules: create once, update, audit trail, seed once even from two nodes, states saved, loaded per station, deleted with the rule', async (store, db) => {
    const rule = toRule({ id: 'pm25', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 } });
    assert.equal(await store.rules.save(rule, 'create', 'a'), true);
    assert.equal(await store.rules.save(rule, 'create', 'a'), false, 'the id exists');
    assert.equal(await store.rules.save({ ...rule, name: 'PM2.5 新' }, 'update', 'b'), true);
    assert.equal(await store.rules.save({ ...rule, id: 'none' }, 'update', 'b'), false);
    assert.equal((await store.rules.get('pm25'))?.name, 'PM2.5 新');
    assert.deepEqual((await store.rules.audit('pm25')).map((e) => [e.action, e.by]), [['create', 'a'], ['update', 'b']]);
    const other = await db.open();
    const defaults = [{ id: 'd1', name: 'd1', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 1 } }] as const;
    const seeded = await Promise.all([store.rules.seedOnce(defaults as never), other.rules.seedOnce(defaults as never)]);
    assert.equal(seeded[0] + seeded[1], 1, 'seeded by one node only');
    assert.equal(await store.rules.seedOnce(defaults as never), 0);
    await other.close();
    const state = { ...emptyRuleState(), active: 'yellow' as const, lastTs: T0 };
    await store.rules.saveStates([
      [stateKey('st-1', 'pm25'), state],
      [stateKey('st-2', 'pm25'), { ...emptyRuleState() }],
    ]);
    assert.deepEqual((await store.rules.loadStates('st-1')).get(stateKey('st-1', 'pm25')), state);
    assert.equal((await store.rules.loadStates()).get(stateKey('st-2', 'pm25'))?.lastTs, -Infinity, 'no timestamp yet survives as -Infinity');
    await store.rules.saveStates([[stateKey('st-2', 'pm25'), undefined]]);
    assert.equal((await store.rules.loadStates()).size, 1);
    assert.equal(await store.rules.remove('pm25', 'c'), true);
    assert.equal((await store.rules.loadStates()).size, 0, 'states go with the rule');
    assert.equal((await store.rules.audit('pm25')).at(-1)?.action, 'delete');
  });

  withStore('alerts: one open alert per (station, rule) — a constraint: two nodes racing to open it make one, and one event, and one outbox row', async (store, db) => {
    const other = await db.open();
    const at = new Date(T0).toISOString();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).alerts.transition({ stationId: 'st-1', ruleId: 'r1' }, fire('st-1', 'r1', at), toSub('sub-1'))),
    );
    assert.equal(results.filter(Boolean).length, 1, 'one alert opened');
    const open = (await store.alerts.allOpen()).filter((a) => a.stationId === 'st-1');
    assert.equal(open.length, 1);
    assert.deepEqual((await store.alerts.events(open[0]!.id)).map((e) => [e.id, e.type]), [[`${open[0]!.id}-1`, 'firing']]);
    assert.equal((await store.outbox.list({ limit: 10 })).total, 1);
    const direct = newAlert('st-1', 'r1', at);
    // Whatever a caller does, the database refuses a second open one.
    await expect(store.alerts.transition({ alertId: direct.id }, () => ({ alert: direct, insert: true, type: 'firing', message: 'x', by: null, at }), () => [])).rejects.toThrow();
    await other.close();
  });

  withStore('alerts: escalate, acknowledge, resolve number their events; a throw in decide writes nothing; lists filter and page', async (store) => {
    const at = (m: number) => new Date(T0 + m * 60_000).toISOString();
    const opened = (await store.alerts.transition({ stationId: 'st-1', ruleId: 'r1' }, fire('st-1', 'r1', at(0)), toSub('s')))!;
    const up = await store.alerts.transition({ stationId: 'st-1', ruleId: 'r1' }, (a) => (a ? { alert: { ...a, level: 'red', escalatedAt: at(1), updatedAt: at(1) }, insert: false, type: 'escalated', message: 'up', by: null, at: at(1) } : undefined), toSub('s'));
    assert.equal(up?.event.id, `${opened.alert.id}-2`);
    await expect(store.alerts.transition({ alertId: opened.alert.id }, () => { throw new Error('refused'); }, toSub('s'))).rejects.toThrow('refused');
    const acked = await store.alerts.transition({ alertId: opened.alert.id }, (a) => ({ alert: { ...a!, state: 'acknowledged', acknowledgedBy: 'ops', acknowledgedAt: at(2), ackNote: '已派人', updatedAt: at(2) }, insert: false, type: 'acknowledged', message: 'ack', by: 'ops', at: at(2) }), toSub('s'));
    assert.equal(acked?.alert.ackNote, '已派人');
    await store.alerts.transition({ stationId: 'st-1', ruleId: 'r1' }, (a) => (a ? { alert: { ...a, state: 'resolved', resolvedAt: at(3), updatedAt: at(3) }, insert: false, type: 'resolved', message: 'ok', by: null, at: at(3) } : undefined), toSub('s'));
    assert.equal(await store.alerts.openFor('st-1', 'r1'), undefined);
    const got = await store.alerts.get(opened.alert.id);
    assert.deepEqual([got?.state, got?.level, got?.acknowledgedBy, got?.resolvedAt], ['resolved', 'red', 'ops', at(3)]);
    assert.deepEqual((await store.alerts.events(opened.alert.id)).map((e) => [e.type, e.by]), [['firing', null], ['escalated', null], ['acknowledged', 'ops'], ['resolved', null]]);
    assert.equal((await store.outbox.list({ limit: 10, alertId: opened.alert.id })).total, 4);
    const second = (await store.alerts.transition({ stationId: 'st-1', ruleId: 'r1' }, fire('st-1', 'r1', at(4)), () => []))!;
    assert.notEqual(second.alert.id, opened.alert.id, 'after the resolve a new alert opens');
    assert.deepEqual((await store.alerts.list({ state: 'all', limit: 10 })).items.map((a) => a.id), [second.alert.id, opened.alert.id]);
    assert.deepEqual((await store.alerts.list({ state: 'active', limit: 10 })).total, 1);
    assert.deepEqual((await store.alerts.list({ state: 'all', limit: 10, region: '4401', departments: ['water'], beforeOpenedAt: at(4) })).items.map((a) => a.id), [opened.alert.id]);
    assert.equal((await store.alerts.list({ state: 'all', limit: 10, departments: [] })).total, 0);
  });

  withStore('rule flush: its alert changes in order and its rule states in one transaction — all or nothing; a second change of one (station, rule) sees the first', async (store) => {
    const at = (m: number) => new Date(T0 + m * 60_000).toISOString();
    const resolve = (m: number) => (a: Alert | undefined): AlertChange | undefined =>
      a ? { alert: { ...a, state: 'resolved', resolvedAt: at(m), updatedAt: at(m) }, insert: false, type: 'resolved', message: 'ok', by: null, at: at(m) } : undefined;
    const state = { ...emptyRuleState(), active: 'red' as const, lastTs: T0 + 120_000 };
    const results = await store.ruleFlush.commit(
      [
        { target: { stationId: 'st-1', ruleId: 'r1' }, decide: fire('st-1', 'r1', at(0)), deliveries: toSub('s') },
        { target: { stationId: 'st-1', ruleId: 'r1' }, decide: resolve(1), deliveries: toSub('s') },
        { target: { stationId: 'st-1', ruleId: 'r1' }, decide: fire('st-1', 'r1', at(2)), deliveries: toSub('s') },
        { target: { stationId: 'st-2', ruleId: 'r1' }, decide: resolve(2), deliveries: toSub('s') },
      ],
      [[stateKey('st-1', 'r1'), state]],
    );
    assert.deepEqual(results.map((r) => r?.event.type), ['firing', 'resolved', 'firing', undefined], 'nothing to resolve at st-2');
    assert.equal(results[0]!.alert.id, results[1]!.alert.id);
    assert.notEqual(results[2]!.alert.id, results[0]!.alert.id, 'resolved, then a new alert');
    assert.equal((await store.alerts.openFor('st-1', 'r1'))?.id, results[2]!.alert.id);
    assert.deepEqual((await store.rules.loadStates('st-1')).get(stateKey('st-1', 'r1')), state);
    assert.deepEqual((await store.outbox.list({ limit: 10 })).items.map((d) => d.eventType).sort(), ['alert.firing', 'alert.firing', 'alert.resolved']);
    // A change that throws undoes the whole flush: the change before it and the states too.
    const before = (await store.outbox.list({ limit: 10 })).total;
    await expect(
      store.ruleFlush.commit(
        [
          { target: { stationId: 'st-1', ruleId: 'r1' }, decide: resolve(3), deliveries: toSub('s') },
          { target: { stationId: 'st-3', ruleId: 'r1' }, decide: () => { throw new Error('refused'); }, deliveries: toSub('s') },
        ],
        [[stateKey('st-1', 'r1'), { ...state, active: null }]],
      ),
    ).rejects.toThrow('refused');
    assert.equal((await store.alerts.openFor('st-1', 'r1'))?.state, 'firing');
    assert.equal((await store.rules.loadStates('st-1')).get(stateKey('st-1', 'r1'))?.active, 'red');
    assert.equal((await store.outbox.list({ limit: 10 })).total, before);
    assert.deepEqual(await store.ruleFlush.commit([], []), []);
  });

  withStore('webhook outbox: a key is queued once; the head is claimed by one node at a time, in order; a lapsed claim goes out again', async (store, db) => {
    const row = (key: string): OutboxInput => ({ subscriptionId: 'sub-1', idempotencyKey: key, eventType: 'alert.firing', alertId: 'al-1', contentType: 'application/json', body: `{"k":"${key}"}` });
    await store.outbox.enqueue([row('e-1'), row('e-2')], T0);
    await store.outbox.enqueue([row('e-1')], T0);
    assert.equal((await store.outbox.list({ limit: 10 })).total, 2);
    const other = await db.open();
    const claims = await Promise.all([store.outbox.claimHead('sub-1', 'n1', T0, 10_000), other.outbox.claimHead('sub-1', 'n2', T0, 10_000)]);
    const won = claims.filter((c) => c.delivery);
    assert.equal(won.length, 1, 'one node holds the head');
    assert.equal(won[0]!.delivery!.idempotencyKey, 'e-1', 'the oldest first');
    assert.equal((await other.outbox.claimHead('sub-1', 'n2', T0 + 1, 10_000)).delivery, undefined, 'the next row waits behind the held head');
    // The holder dies mid-attempt: once the claim lapses another node sends it again, same key.
    const again = await other.outbox.claimHead('sub-1', 'n2', T0 + 10_001, 10_000);
    assert.equal(again.delivery?.idempotencyKey, 'e-1');
    await other.outbox.markFailed(again.delivery!.id, 503, 'receiver answered 503', T0 + 60_000, false, T0 + 10_002);
    assert.deepEqual(await store.outbox.claimHead('sub-1', 'n1', T0 + 20_000, 10_000), { retryAt: T0 + 60_000 }, 'backoff: not due yet');
    const due = await store.outbox.claimHead('sub-1', 'n1', T0 + 60_000, 10_000);
    assert.equal(due.delivery?.attempts, 1);
    await store.outbox.markDelivered(due.delivery!.id, 200, T0 + 60_001);
    const next = await store.outbox.claimHead('sub-1', 'n1', T0 + 60_002, 10_000);
    assert.equal(next.delivery?.idempotencyKey, 'e-2');
    await store.outbox.release(next.delivery!.id, 'n1');
    const d = await store.outbox.claimHead('sub-1', 'n2', T0 + 60_003, 10_000);
    assert.equal(d.delivery?.idempotencyKey, 'e-2', 'a released claim is free at once');
    await store.outbox.markFailed(d.delivery!.id, null, 'x'.repeat(5000), T0, true, T0 + 60_004);
    assert.deepEqual(await store.outbox.depth(), { pending: 0, dead: 1 });
    const dead = await store.outbox.get(d.delivery!.id);
    assert.equal(dead?.lastError?.length, 1000);
    assert.equal((await store.outbox.redeliver(d.delivery!.id, T0 + 70_000))?.state, 'pending');
    assert.deepEqual((await store.outbox.list({ limit: 10, state: 'delivered', subscriptionIds: ['sub-1'] })).items.map((x) => x.idempotencyKey), ['e-1']);
    assert.equal((await store.outbox.list({ limit: 10, subscriptionIds: [] })).total, 0);
    await other.close();
  });

  withStore('webhook subscriptions: created, read back validated, updated, removed with their pending deliveries', async (store) => {
    const input = { name: '应急中心', url: 'https://example.org/hook', secret: 's'.repeat(32), filters: { minLevel: 'orange' as const }, format: 'cap' as const, signature: 'hmac-sm3' as const, enabled: true };
    const sub = await store.subscriptions.create(input);
    assert.deepEqual(await store.subscriptions.get(sub.id), sub);
    const changed = await store.subscriptions.update(sub.id, { ...input, enabled: false });
    assert.equal(changed?.enabled, false);
    assert.equal(await store.subscriptions.update('sub-none', input), undefined);
    await store.outbox.enqueue([{ subscriptionId: sub.id, idempotencyKey: 'k', eventType: 'alert.firing', alertId: 'a', contentType: 'x', body: 'b' }], T0);
    assert.equal(await store.subscriptions.remove(sub.id), true);
    assert.deepEqual(await store.subscriptions.all(), []);
    assert.equal((await store.outbox.list({ limit: 10 })).total, 0);
  });

  withStore('commands: created pending, sent, answered once, listed per department, expired once across nodes, cancelled with the station', async (store, db) => {
    const c = store.commands;
    const cmd = await c.create({ stationId: 'gw-1', department: 'water', name: 'reboot', args: { delaySec: 5 }, by: 'ops', ttlSec: 60 }, T0);
    assert.deepEqual((await c.open('gw-1', T0 + 1)).map((x) => x.id), [cmd.id]);
    await c.markSent(cmd.id, T0 + 2);
    assert.equal((await c.get(cmd.id))?.state, 'sent');
    assert.equal(await c.complete(cmd.id, 'gw-1', true, { ok: [1, 2] }, null, T0 + 3), true);
    assert.equal(await c.complete(cmd.id, 'gw-1', true, null, null, T0 + 4), false, 'answered once');
    assert.deepEqual((await c.get(cmd.id))?.result, { ok: [1, 2] });
    assert.equal((await c.list('gw-1', 'eco-env', 10)).length, 0, 'another department sees none');
    const late = await c.create({ stationId: 'gw-1', department: 'water', name: 'x', args: {}, by: 'ops', ttlSec: 1 }, T0);
    const other = await db.open();
    const expired = await Promise.all([c.expire(T0 + 5000), other.commands.expire(T0 + 5000)]);
    assert.deepEqual(expired.flat().map((x) => x.id), [late.id], 'reported by one node');
    await other.close();
    await c.create({ stationId: 'gw-1', department: 'water', name: 'y', args: {}, by: 'ops', ttlSec: 60 }, T0);
    assert.equal(await c.cancelOpen('gw-1', T0), 1);
  });

  withStore('presence: online on the node that holds the connection; a late disconnect from the node it left changes nothing; a node restart resets only its own', async (store) => {
    await store.presence.set('dev-1', true, '10.0.0.1', 'n1', T0);
    await store.presence.set('dev-1', true, '10.0.0.2', 'n2', T0 + 1000);
    await store.presence.set('dev-1', false, undefined, 'n1', T0 + 2000);
    const p = await store.presence.get('dev-1');
    assert.deepEqual(p, { online: true, since: new Date(T0 + 1000).toISOString(), remoteAddress: '10.0.0.2', nodeId: 'n2' });
    await store.presence.set('dev-2', true, undefined, 'n1', T0);
    assert.deepEqual([...(await store.presence.online()).keys()].sort(), ['dev-1', 'dev-2']);
    assert.equal(await store.presence.resetNode('n1'), 1);
    assert.deepEqual([...(await store.presence.online()).keys()], ['dev-1']);
    await store.presence.set('dev-1', false, undefined, 'n2', T0 + 3000);
    assert.equal((await store.presence.get('dev-1'))?.online, false);
  });

  withStore('presence: changes written in one batch apply in order; a silent node\'s devices are swept offline, those another node holds stay', async (store) => {
    await store.presence.setMany([
      { deviceId: 'dev-a', online: true, remoteAddress: '10.0.0.1', nodeId: 'n1', atMs: T0 },
      { deviceId: 'dev-b', online: true, remoteAddress: undefined, nodeId: 'n1', atMs: T0 },
      { deviceId: 'dev-c', online: true, remoteAddress: undefined, nodeId: 'n1', atMs: T0 },
      { deviceId: 'dev-c', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 10 },
      { deviceId: 'dev-b', online: true, remoteAddress: undefined, nodeId: 'n2', atMs: T0 + 20 },
    ]);
    assert.deepEqual([...(await store.presence.online()).keys()].sort(), ['dev-a', 'dev-b']);
    await store.presence.heartbeat('n1', T0);
    await store.presence.heartbeat('n2', T0 + 5000);
    assert.deepEqual(await store.presence.sweepSilentNodes(T0 - 1, T0 + 6000), [], 'nobody silent yet');
    assert.deepEqual(await store.presence.sweepSilentNodes(T0 + 1000, T0 + 6000), ['dev-a']);
    assert.deepEqual(await store.presence.get('dev-a'), { online: false, since: new Date(T0 + 6000).toISOString(), remoteAddress: '10.0.0.1', nodeId: 'n1' });
    assert.equal((await store.presence.get('dev-b'))?.online, true, 'held by n2, which is alive');
    assert.deepEqual(await store.presence.sweepSilentNodes(T0 + 1000, T0 + 7000), [], 'swept once');
  });

  withStore('presence: a batch leaves each device as its changes applied one by one would (connects, disconnects, moves between nodes)', async (store) => {
    const at = (ms: number): string => new Date(T0 + ms).toISOString();
    await store.presence.setMany([
      { deviceId: 'held-1', online: true, remoteAddress: '10.0.0.1', nodeId: 'n1', atMs: T0 },
      { deviceId: 'held-2', online: true, remoteAddress: '10.0.0.2', nodeId: 'n2', atMs: T0 },
      { deviceId: 'held-3', online: true, remoteAddress: '10.0.0.3', nodeId: 'n1', atMs: T0 },
    ]);
    await store.presence.setMany([
      // Disconnects only: from the node that holds it (the first one sets the time) …
      { deviceId: 'held-1', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 10 },
      { deviceId: 'held-1', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 20 },
      // … and from a node it already left: nothing changes.
      { deviceId: 'held-2', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 10 },
      // Moved to n2, then its late disconnect from n1: online on n2.
      { deviceId: 'held-3', online: true, remoteAddress: '10.0.0.9', nodeId: 'n2', atMs: T0 + 10 },
      { deviceId: 'held-3', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 20 },
      // New, gone, back again, gone: offline since the last disconnect, with the last connect's address.
      { deviceId: 'new-1', online: true, remoteAddress: '10.0.1.1', nodeId: 'n1', atMs: T0 + 10 },
      { deviceId: 'new-1', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 20 },
      { deviceId: 'new-1', online: true, remoteAddress: '10.0.1.2', nodeId: 'n1', atMs: T0 + 30 },
      { deviceId: 'new-1', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 40 },
      { deviceId: 'new-1', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 50 },
      // Connected here, then a disconnect from another node: still online here.
      { deviceId: 'new-2', online: true, remoteAddress: undefined, nodeId: 'n2', atMs: T0 + 10 },
      { deviceId: 'new-2', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 20 },
      // A disconnect of a device with no row leaves none.
      { deviceId: 'never', online: false, remoteAddress: undefined, nodeId: 'n1', atMs: T0 + 10 },
    ]);
    assert.deepEqual(await store.presence.get('held-1'), { online: false, since: at(10), remoteAddress: '10.0.0.1', nodeId: 'n1' });
    assert.deepEqual(await store.presence.get('held-2'), { online: true, since: at(0), remoteAddress: '10.0.0.2', nodeId: 'n2' });
    assert.deepEqual(await store.presence.get('held-3'), { online: true, since: at(10), remoteAddress: '10.0.0.9', nodeId: 'n2' });
    assert.deepEqual(await store.presence.get('new-1'), { online: false, since: at(40), remoteAddress: '10.0.1.2', nodeId: 'n1' });
    assert.deepEqual(await store.presence.get('new-2'), { online: true, since: at(10), remoteAddress: null, nodeId: 'n2' });
    assert.equal(await store.presence.get('never'), undefined);
  });

  withStore('delivery statistics of stays: written by their node, read back in order by device and by when they were saved', async (store, db) => {
    const s = (lastSeq: number, received: number) => ({ lastSeq, received, duplicates: 0, gaps: 0, missing: 0, late: 0, resets: 0, rejected: 0, lastAt: '2026-01-01T00:00:00.000Z' });
    const stay = (deviceId: string, stayId: string, startedAt: number, firstSeq: number, stats: ReturnType<typeof s>, final: boolean) => ({ deviceId, stayId, nodeId: stayId.split('/')[0]!, startedAt, firstSeq, stats, final });
    const other = await db.open();
    assert.equal((await store.delivery.staysOf([])).size, 0);
    await store.delivery.saveStays([stay('d1', 'n2/a/1', T0 + 2000, 6, s(10, 5), false), stay('d2', 'n1/a/1', T0, 1, s(3, 3), false)]);
    await other.delivery.saveStays([stay('d1', 'n1/a/1', T0, 1, s(5, 5), false)]);
    const d1 = (await store.delivery.staysOf(['d1', 'd3'])).get('d1')!;
    assert.deepEqual(d1.map((x) => x.stayId), ['n1/a/1', 'n2/a/1'], 'in the order they began');
    assert.deepEqual(d1[1], stay('d1', 'n2/a/1', T0 + 2000, 6, s(10, 5), false));
    const all = await store.delivery.staysSince(undefined);
    assert.deepEqual([...all.stays.keys()].sort(), ['d1', 'd2']);
    assert.ok(all.latest);
    await new Promise((r) => setTimeout(r, 5));
    await other.delivery.saveStays([stay('d1', 'n1/a/1', T0, 1, s(5, 5), true)]);
    const later = await store.delivery.staysSince(new Date(Date.parse(all.latest) + 1).toISOString());
    assert.deepEqual([...later.stays.keys()], ['d1'], 'only devices saved since, with all their stays');
    // n1's stay is complete and first: alone, nothing to fold. A save of it that comes late changes nothing.
    await other.delivery.saveStays([stay('d1', 'n1/a/1', T0, 1, s(4, 4), false)]);
    assert.deepEqual((await store.delivery.staysOf(['d1'])).get('d1')!.map((x) => [x.stayId, x.stats.received, x.final]), [['n1/a/1', 5, true], ['n2/a/1', 5, false]]);
    // n2's ends too: the two complete stays become one row, continued one from the other.
    await store.delivery.saveStays([stay('d1', 'n2/a/1', T0 + 2000, 6, s(10, 5), true), stay('d1', 'n3/a/1', T0 + 4000, 12, s(12, 1), false)]);
    const folded = (await other.delivery.staysOf(['d1'])).get('d1')!;
    assert.deepEqual(folded.map((x) => [x.stayId, x.firstSeq, x.stats.lastSeq, x.stats.received, x.final]), [['n1/a/1', 1, 10, 10, true], ['n3/a/1', 12, 12, 1, false]]);
    // n3 stops without saving its stay as final (kill -9) and starts again: its open stays are complete.
    await other.delivery.endStaysOf('n3');
    const ended = (await store.delivery.staysOf(['d1'])).get('d1')!;
    assert.deepEqual(ended.map((x) => [x.stayId, x.stats.lastSeq, x.stats.received, x.stats.gaps, x.stats.missing, x.final]), [['n1/a/1', 12, 11, 1, 1, true]]);
    // Two nodes end their stays of one device at the same moment: both folds count, one after the other.
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      await store.delivery.saveStays([stay(id, 'n1/a/1', T0, 1, s(5, 5), true), stay(id, 'n2/a/1', T0 + 1000, 6, s(10, 5), false), stay(id, 'n3/a/1', T0 + 2000, 11, s(15, 5), false)]);
      await Promise.all([store.delivery.saveStays([stay(id, 'n2/a/1', T0 + 1000, 6, s(10, 5), true)]), other.delivery.saveStays([stay(id, 'n3/a/1', T0 + 2000, 11, s(15, 5), true)])]);
      const rows = (await store.delivery.staysOf([id])).get(id)!;
      assert.deepEqual(rows.map((x) => [x.stayId, x.stats.lastSeq, x.stats.received, x.final]), [['n1/a/1', 15, 15, true]], `round ${round}`);
    }
    await other.close();
  });

  withStore('delivery statistics: saved in batches, upserted, loaded back', async (store) => {
    const s = { lastSeq: 5, received: 5, duplicates: 0, gaps: 1, missing: 1, late: 0, resets: 0, rejected: 0, lastAt: '2026-01-01T00:00:00.000Z' };
    await store.delivery.save(new Map([['d1', s], ['d2', s]]));
    await store.delivery.save(new Map([['d1', { ...s, lastSeq: 6 }]]));
    const loaded = await store.delivery.load();
    assert.equal(loaded.get('d1')?.lastSeq, 6);
    assert.deepEqual(loaded.get('d2'), s);
  });

  withStore('leadership: one leader per name; when it gives up, another node takes over', async (store, db) => {
    const other = await db.open();
    const a = store.leadership('rules', { retryMs: 100 });
    const b = other.leadership('rules', { retryMs: 100 });
    await Promise.race([a.untilLeader(), b.untilLeader()]);
    await new Promise((r) => setTimeout(r, 300));
    if (store.backend === 'sqlite') {
      assert.ok(a.isLeader && b.isLeader, 'SQLite: one node, always the leader');
    } else {
      assert.equal(Number(a.isLeader) + Number(b.isLeader), 1, 'exactly one leader');
      const [leader, follower] = a.isLeader ? [a, b] : [b, a];
      const c = store.leadership('other-name', { retryMs: 100 });
      await c.untilLeader();
      await leader.close();
      await follower.untilLeader();
      assert.equal(follower.isLeader, true);
    }
    await other.close();
  });

  withStore('web users: the password only as a scrypt hash; a sign-in opens a session whose secret is not stored', async (store, db) => {
    const users = store.users;
    const u = await users.create({ name: 'zhang', displayName: '张三', password: 'correct horse battery', role: 'operator', departments: ['water'], createdBy: 'admin' }, T0);
    expect(u?.role).toBe('operator');
    expect(await users.create({ name: 'zhang', displayName: 'x', password: 'another password', role: 'viewer', departments: '*', createdBy: 'admin' })).toBeUndefined();
    const raw = JSON.stringify(await db.query('SELECT * FROM users'));
    expect(raw).not.toContain('correct horse');
    expect(raw).toMatch(/scrypt\$\d+\$8\$1\$/);
    expect(await users.signIn('zhang', 'wrong password', T0)).toEqual({ ok: false, reason: 'password' });
    expect(await users.signIn('nobody', 'whatever', T0)).toEqual({ ok: false, reason: 'unknown' });
    const ok = await users.signIn('zhang', 'correct horse battery', T0);
    if (!ok.ok) throw new Error('sign-in refused');
    expect(ok.session.principal).toEqual({ id: 'user:zhang', name: 'zhang', role: 'operator', departments: ['water'] });
    expect(JSON.stringify(await db.query('SELECT * FROM user_sessions'))).not.toContain(ok.secret);
    expect((await users.session(ok.secret, T0 + 1000))?.user.name).toBe('zhang');
    expect(await users.session(`${ok.secret}x`, T0 + 1000)).toBeUndefined();
    expect((await users.list()).map((x) => x.name)).toEqual(['zhang']);
    expect(await users.remove('zhang')).toBe(true);
    expect(await users.session(ok.secret, T0 + 2000)).toBeUndefined();
  });

  withStore('web sessions end when idle, at their lifetime, at sign-out, and when the user is disabled or gets a new password', async (store) => {
    const users = store.users;
    const { idleMs, ttlMs } = users.options;
    await users.create({ name: 'li', displayName: '李四', password: 'a long passphrase', role: 'viewer', departments: '*', createdBy: 'admin' }, T0);
    const open = async (at: number, password = 'a long passphrase'): Promise<string> => {
      const r = await users.signIn('li', password, at);
      if (!r.ok) throw new Error(r.reason);
      return r.secret;
    };
    // Idle: no use for idleMs ends it; use keeps it alive (recorded at most every 30 s).
    const idle = await open(T0);
    expect(await users.session(idle, T0 + idleMs - 1000)).toBeDefined();
    expect(await users.session(idle, T0 + 2 * idleMs - 2000)).toBeDefined();
    expect(await users.session(idle, T0 + 3 * idleMs)).toBeUndefined();
    // Lifetime: ttlMs whatever the use.
    const busy = await open(T0);
    for (let at = T0; at < T0 + ttlMs; at += idleMs / 2) expect(await users.session(busy, at)).toBeDefined();
    expect(await users.session(busy, T0 + ttlMs)).toBeUndefined();
    const out = await open(T0);
    await users.endSession(out);
    expect(await users.session(out, T0 + 1)).toBeUndefined();
    const a = await open(T0);
    await users.update('li', { disabled: true }, T0);
    expect(await users.session(a, T0 + 1)).toBeUndefined();
    expect(await users.signIn('li', 'a long passphrase', T0)).toEqual({ ok: false, reason: 'disabled' });
    await users.update('li', { disabled: false }, T0);
    const b = await open(T0);
    await users.update('li', { password: 'a new long passphrase' }, T0);
    expect(await users.session(b, T0 + 1)).toBeUndefined();
    await open(T0, 'a new long passphrase');
    expect(await users.sweep(T0 + ttlMs)).toBeGreaterThan(0);
  });
}
