/**
 * The HTTP API's contract: GET /api/v1/openapi.json (made by @fastify/swagger from the routes'
 * zod schemas) documents every /api/v1 route of the platform's own route table, and every route,
 * called for real, answers what its documented zod schema says — success bodies and the one
 * error shape. Plus GET /api/v1/status, scoped.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorBodySchema, OpenApiDocumentSchema, hasNoBody, openApiPath, responseSchemaOf } from '@shanshui/ingest';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ defaultRules: false, webhookMaxAttempts: 1, webhookTimeoutMs: 500, staleCheckIntervalMs: 60_000 });
});
afterAll(async () => {
  await tp?.close();
});

test('the OpenAPI 3.1 document lists every /api/v1 route with its permission, parameters and answers', async () => {
  const res = await fetch(`http://127.0.0.1:${tp.platform.httpPort}/api/v1/openapi.json`); // no token: public
  assert.equal(res.status, 200);
  const doc = OpenApiDocumentSchema.parse(await res.json()) as any;
  assert.equal(doc.openapi, '3.1.0');
  assert.match(doc.info.title, /Shanshui/);
  assert.equal(doc.info.version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  assert.deepEqual(Object.keys(doc.components.schemas.Error.properties), ['error']);
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(refs.includes('#/components/schemas/Station') && refs.includes('#/components/schemas/RuleDefinitionInput'), 'shared schemas are components');
  for (const ref of refs) assert.ok(ref.startsWith('#/components/schemas/') && ref.slice(21) in doc.components.schemas, `${ref} resolves`);

  const routes = tp.platform.apiRoutes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`)).sort();
  assert.deepEqual(documented, routes, 'every route documented, nothing documented that is not a route');
  assert.deepEqual(tp.platform.apiDocs.map((r) => `${r.method} ${r.url}`).sort(), tp.platform.apiRoutes.map((r) => `${r.method} ${r.url}`).sort());

  const operationIds = new Set<string>();
  for (const r of tp.platform.apiRoutes) {
    const where = `${r.method} ${r.url}`;
    const op = doc.paths[openApiPath(r.url)][r.method.toLowerCase()];
    assert.equal(op['x-permission'], r.permission, where);
    assert.ok(op.summary && op.tags.length === 1, where);
    assert.ok(!operationIds.has(op.operationId), `${where}: operationId ${op.operationId} is unique`);
    operationIds.add(op.operationId);
    assert.deepEqual(op.security, r.permission === 'public' ? [] : [{ bearer: [] }], where);
    const statuses = Object.keys(op.responses);
    assert.ok(statuses.some((s) => /^2\d\d$/.test(s)), `${where}: a success answer`);
    for (const s of statuses.filter((x) => /^[45]/.test(x))) assert.equal(op.responses[s].content['application/json'].schema.$ref, '#/components/schemas/Error', `${where} ${s}`);
    if (r.permission !== 'public') for (const s of ['401', '403']) assert.ok(statuses.includes(s), `${where} documents ${s}`);
    const pathParams = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
    assert.deepEqual((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name), pathParams, `${where}: path parameters`);
    if (pathParams.length > 0 || op.parameters?.some((p: any) => p.in === 'query') || op.requestBody) assert.ok(statuses.includes('400'), `${where} documents 400`);
    if (['POST', 'PUT'].includes(r.method) && r.url !== '/api/v1/stations/:id/credentials' && r.url !== '/api/v1/webhook-deliveries/:id/redeliver' && r.url !== '/api/v1/subscriptions/:id/test') {
      assert.ok(op.requestBody?.content['application/json'].schema, `${where}: request body schema`);
    }
  }
  const stationsList = doc.paths['/api/v1/stations'].get;
  assert.equal(stationsList.parameters.find((p: any) => p.name === 'limit').schema.maximum, 1000);
  assert.deepEqual(stationsList.parameters.find((p: any) => p.name === 'domain').schema.enum, ['air', 'water', 'soil', 'reservoir', 'forest_fire', 'agriculture', 'noise', 'pollution_source', 'river', 'meteorology', 'geohazard']);
  const readings = doc.paths['/api/v1/stations/{id}/readings'].get;
  assert.deepEqual(readings.parameters.find((p: any) => p.name === 'window').schema.enum, ['1m', '5m', '1h', '1d']);
  assert.equal(readings.parameters.find((p: any) => p.name === 'metric').required, true);
});

test('every route answers what its documented zod schema says (success bodies and the error shape)', async () => {
  const docs = new Map(tp.platform.apiDocs.map((r) => [`${r.method} ${r.url}`, r.responses]));
  const checked = new Set<string>();
  const call = async (method: string, route: string, path: string, body?: unknown, token?: string): Promise<any> => {
    const key = `${method} ${route}`;
    const responses = docs.get(key);
    assert.ok(responses, `${key} is a documented route`);
    const res = await tp.api(method, path, body, token);
    assert.ok(res.status in responses, `${key}: answered ${res.status}, not a documented success: ${JSON.stringify(res.body)?.slice(0, 300)}`);
    const response = responses[res.status]!;
    const schema = responseSchemaOf(response);
    if (hasNoBody(response)) {
      assert.equal(res.body, undefined, `${key}: no body`);
    } else {
      const parsed = schema.safeParse(res.body);
      assert.ok(parsed.success, `${key}: the answer does not match its documented schema: ${parsed.error?.message}\n${JSON.stringify(res.body).slice(0, 500)}`);
    }
    checked.add(key);
    return res.body;
  };
  const refused = async (method: string, route: string, path: string, status: number, body?: unknown): Promise<void> => {
    const res = await tp.api(method, path, body);
    assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
    assert.ok(ErrorBodySchema.safeParse(res.body).success, `${method} ${path}: the error shape`);
    const op = (await tp.api('GET', '/api/v1/openapi.json')).body.paths[openApiPath(route)][method.toLowerCase()];
    assert.ok(String(status) in op.responses, `${method} ${route} documents ${status}`);
  };

  // Platform and schemas.
  await call('GET', '/api/v1/openapi.json', '/api/v1/openapi.json');
  await call('GET', '/api/v1/schema/readings.json', '/api/v1/schema/readings.json');
  await call('GET', '/api/v1/schema/webhook-event.json', '/api/v1/schema/webhook-event.json');

  // Stations, devices, readings.
  const created = await call('POST', '/api/v1/stations', '/api/v1/stations', { id: 'oa-air-1', name: '海珠空气站', domain: 'air', lat: 23.09, lon: 113.32, region: '440105', department: 'eco-env', attributes: { basin: '珠江' } });
  await call('POST', '/api/v1/stations', '/api/v1/stations', { id: 'oa-rsv-1', name: '从化水库', domain: 'reservoir', lat: 23.6, lon: 113.6, region: '440117', department: 'water' });
  await refused('POST', '/api/v1/stations', '/api/v1/stations', 409, { id: 'oa-air-1', name: 'x', domain: 'air', lat: 1, lon: 1, region: '440105', department: 'eco-env' });
  await refused('POST', '/api/v1/stations', '/api/v1/stations', 400, { id: 'oa-air-2' });
  const device = await tp.connect(created.credentials.username, created.credentials.password);
  const now = Date.now();
  await device.publishAsync('shanshui/v1/oa-air-1/up/readings', JSON.stringify({ seq: 1, readings: [{ ts: now - 60_000, values: { pm25: 35, temperature: 21 } }, { ts: now - 1000, values: { pm25: { v: 250, q: 'N' } } }] }), { qos: 1 });
  await device.publishAsync('shanshui/v1/oa-air-1/up/readings', 'not json', { qos: 1 });
  await eventually(async () => (await tp.api('GET', `/api/v1/stations/oa-air-1/readings?metric=pm25&from=${new Date(now - 3_600_000).toISOString()}`)).body?.items?.length === 2, 'readings stored');
  await call('GET', '/api/v1/stations', '/api/v1/stations?domain=air&region=4401&limit=10');
  await call('GET', '/api/v1/stations/:id', '/api/v1/stations/oa-air-1', undefined);
  await refused('GET', '/api/v1/stations/:id', '/api/v1/stations/none', 404);
  // A child station behind a gateway: gatewayId in the station JSON, presence through the gateway.
  await call('POST', '/api/v1/stations', '/api/v1/stations', { id: 'oa-air-child', name: '子站', domain: 'air', lat: 23.1, lon: 113.3, region: '440105', department: 'eco-env', gatewayId: 'oa-air-1' });
  await refused('POST', '/api/v1/stations', '/api/v1/stations', 400, { id: 'oa-air-child2', name: '子站', domain: 'air', lat: 23.1, lon: 113.3, region: '440105', department: 'eco-env', gatewayId: 'oa-rsv-1' });
  const child = await call('GET', '/api/v1/stations/:id', '/api/v1/stations/oa-air-child');
  assert.equal(child.presence.via, 'oa-air-1');
  const moved = await call('PATCH', '/api/v1/stations/:id', '/api/v1/stations/oa-air-child', { name: '子站 2', gatewayId: null });
  assert.equal(moved.station.gatewayId, undefined);
  await refused('PATCH', '/api/v1/stations/:id', '/api/v1/stations/oa-air-child', 400, { department: 'water' });
  await refused('PATCH', '/api/v1/stations/:id', '/api/v1/stations/none', 404, { name: 'x' });
  await call('DELETE', '/api/v1/stations/:id', '/api/v1/stations/oa-air-child');
  await eventually(async () => (await tp.api('GET', '/api/v1/delivery')).body.items.length > 0, 'delivery stats');
  await call('GET', '/api/v1/delivery', '/api/v1/delivery?limit=5');
  await call('GET', '/api/v1/stations/:id/readings/latest', '/api/v1/stations/oa-air-1/readings/latest');
  await call('GET', '/api/v1/readings/latest', '/api/v1/readings/latest?domain=air');
  const raw = await call('GET', '/api/v1/stations/:id/readings', `/api/v1/stations/oa-air-1/readings?metric=pm25,temperature&from=${new Date(now - 3_600_000).toISOString()}`);
  assert.equal(raw.items.length, 2);
  const windows = await call('GET', '/api/v1/stations/:id/readings', `/api/v1/stations/oa-air-1/readings?metric=pm25&from=${new Date(now - 3_600_000).toISOString()}&window=5m&agg=max`);
  assert.ok(windows.items.length >= 1);
  await refused('GET', '/api/v1/stations/:id/readings', '/api/v1/stations/oa-air-1/readings?metric=pm25&from=2020-01-01T00:00:00Z', 400);
  await call('GET', '/api/v1/map.geojson', '/api/v1/map.geojson?domain=air');
  await eventually(async () => (await tp.api('GET', '/api/v1/dead-letters?device=oa-air-1')).body.items.length > 0, 'dead letter');
  await call('GET', '/api/v1/dead-letters', '/api/v1/dead-letters?department=eco-env&limit=10');

  // Provisioning and commands.
  const boot = await call('POST', '/api/v1/stations/:id/bootstrap-tokens', '/api/v1/stations/oa-rsv-1/bootstrap-tokens', { ttlSec: 600 });
  const agentConfig = {
    version: 1,
    sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=1;s=Gate1.Level', metric: 'water_level' }], commands: [{ name: 'open_gate', write: { nodeId: 'ns=1;s=Gate1.Open', dataType: 'Boolean' } }] }],
  };
  await call('PUT', '/api/v1/stations/:id/config', '/api/v1/stations/oa-rsv-1/config', agentConfig);
  await refused('PUT', '/api/v1/stations/:id/config', '/api/v1/stations/oa-rsv-1/config', 409, agentConfig);
  await call('GET', '/api/v1/stations/:id/config', '/api/v1/stations/oa-rsv-1/config');
  await call('POST', '/api/v1/provision', '/api/v1/provision', { token: boot.token }, '');
  const sent = await call('POST', '/api/v1/stations/:id/commands', '/api/v1/stations/oa-rsv-1/commands', { name: 'open_gate', args: { value: true }, ttlSec: 60 });
  await call('GET', '/api/v1/stations/:id/commands', '/api/v1/stations/oa-rsv-1/commands?limit=10');
  await call('GET', '/api/v1/commands/:id', `/api/v1/commands/${sent.command.id}`);
  await call('POST', '/api/v1/stations/:id/credentials', '/api/v1/stations/oa-rsv-1/credentials');

  // Rules, alerts, subscriptions, the outbox.
  await call('POST', '/api/v1/subscriptions', '/api/v1/subscriptions', { name: '市应急指挥中心', url: 'http://127.0.0.1:9/hook', secret: 'a-webhook-secret-of-24-chars!', filters: { departments: ['eco-env'] } });
  const rule = await call('POST', '/api/v1/rules', '/api/v1/rules', { id: 'oa-pm25', name: 'PM2.5 过高', kind: 'threshold', metric: 'pm25', op: 'above', levels: { orange: 150, red: 200 }, scope: { department: 'eco-env' } });
  await refused('POST', '/api/v1/rules', '/api/v1/rules', 400, { name: 'bad', kind: 'threshold', metric: 'pm25', op: 'above', levels: {} });
  await call('GET', '/api/v1/rules', '/api/v1/rules?department=eco-env');
  await call('GET', '/api/v1/rules/:id', `/api/v1/rules/${rule.rule.id}`);
  await device.publishAsync('shanshui/v1/oa-air-1/up/readings', JSON.stringify({ seq: 2, ts: Date.now(), values: { pm25: 260 } }), { qos: 1 });
  const alertId = await eventually(async () => (await tp.api('GET', '/api/v1/alerts?station=oa-air-1')).body.items[0]?.id as string | undefined, 'an alert');
  await call('GET', '/api/v1/alerts', '/api/v1/alerts?state=all&department=eco-env&domain=air&region=4401&level=red');
  await call('GET', '/api/v1/alerts/:id', `/api/v1/alerts/${alertId}`);
  await call('POST', '/api/v1/alerts/:id/ack', `/api/v1/alerts/${alertId}/ack`, { by: '值班员张三', note: '已通知现场' });
  const dead = await eventually(async () => (await tp.api('GET', '/api/v1/webhook-deliveries?state=dead')).body.items[0]?.id as number | undefined, 'a dead delivery');
  await call('GET', '/api/v1/webhook-deliveries', '/api/v1/webhook-deliveries?limit=10');
  await call('POST', '/api/v1/webhook-deliveries/:id/redeliver', `/api/v1/webhook-deliveries/${dead}/redeliver`);
  const subs = await call('GET', '/api/v1/subscriptions', '/api/v1/subscriptions?limit=10');
  const subId = subs.items[0].id as string;
  await call('GET', '/api/v1/subscriptions/:id', `/api/v1/subscriptions/${subId}`);
  await call('POST', '/api/v1/subscriptions/:id/test', `/api/v1/subscriptions/${subId}/test`);
  await call('POST', '/api/v1/lockouts/lift', '/api/v1/lockouts/lift', { address: '192.0.2.7', deviceId: 'air-th-001' });
  await call('PUT', '/api/v1/subscriptions/:id', `/api/v1/subscriptions/${subId}`, { name: '市应急指挥中心', url: 'http://127.0.0.1:9/hook2', secret: 'a-webhook-secret-of-24-chars!', filters: { departments: ['eco-env'], minLevel: 'orange' } });
  const other = await call('POST', '/api/v1/rules', '/api/v1/rules', { name: '水位', kind: 'threshold', metric: 'water_level', op: 'above', levels: { red: 300 }, scope: { department: 'water' } });
  await call('PUT', '/api/v1/rules/:id', `/api/v1/rules/${other.rule.id}`, { name: '水位', kind: 'threshold', metric: 'water_level', op: 'above', levels: { red: 320 }, scope: { department: 'water' } });

  // The sensor catalogue and station profiles.
  await call('GET', '/api/v1/catalogue', '/api/v1/catalogue');
  await call('PUT', '/api/v1/profiles/:id', '/api/v1/profiles/oa-odour', { id: 'oa-odour', name: '恶臭监测点', domain: 'air', metrics: ['nh3', 'h2s'], customMetrics: [{ id: 'odour', name: '臭气浓度', nameEn: 'odour', unit: '', precision: 0, min: 0, max: 100000 }] });
  await refused('PUT', '/api/v1/profiles/:id', '/api/v1/profiles/air', 409, { id: 'air', name: 'x', domain: 'air' });
  await call('GET', '/api/v1/profiles', '/api/v1/profiles');
  await call('GET', '/api/v1/profiles/:id', '/api/v1/profiles/oa-odour');

  // Tokens, audit, status.
  const token = await call('POST', '/api/v1/tokens', '/api/v1/tokens', { name: '生态环境局值班', role: 'viewer', departments: ['eco-env'] });
  await call('GET', '/api/v1/tokens', '/api/v1/tokens?limit=10');
  await call('GET', '/api/v1/audit', '/api/v1/audit?limit=50');
  await call('GET', '/api/v1/status', '/api/v1/status');
  await call('GET', '/api/v1/status', '/api/v1/status', undefined, token.token);

  // Deletions (204, no body).
  await call('DELETE', '/api/v1/tokens/:id', `/api/v1/tokens/${token.id}`);
  await call('POST', '/api/v1/users', '/api/v1/users', { name: 'wang', displayName: '王五', password: 'a web app password', role: 'operator', departments: ['water'] });
  await call('GET', '/api/v1/users', '/api/v1/users?limit=10');
  await call('PATCH', '/api/v1/users/:id', '/api/v1/users/wang', { disabled: true });
  await call('DELETE', '/api/v1/users/:id', '/api/v1/users/wang');
  const doomed = await call('POST', '/api/v1/subscriptions', '/api/v1/subscriptions', { name: '临时', url: 'http://127.0.0.1:9/x', secret: 'another-webhook-secret-24-chars', filters: { departments: ['water'] } });
  await call('DELETE', '/api/v1/subscriptions/:id', `/api/v1/subscriptions/${doomed.subscription.id}`);
  await call('DELETE', '/api/v1/rules/:id', `/api/v1/rules/${other.rule.id}`);
  await call('DELETE', '/api/v1/stations/:id', '/api/v1/stations/oa-rsv-1');
  await refused('DELETE', '/api/v1/stations/:id', '/api/v1/stations/oa-rsv-1', 404);

  const unchecked = tp.platform.apiRoutes.map((r) => `${r.method} ${r.url}`).filter((k) => !checked.has(k));
  assert.deepEqual(unchecked, [], 'every route called and its answer checked against its schema');
});

test('status: version, uptime, stations and alerts in scope, devices, spool, InfluxDB, webhook outbox', async () => {
  const all = (await tp.api('GET', '/api/v1/status')).body;
  assert.equal(all.version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  assert.ok(all.uptimeSec >= 0 && Date.parse(all.startedAt) <= Date.now());
  assert.equal(all.scope, '*');
  assert.equal(all.stations.total, 1, 'oa-air-1 (oa-rsv-1 was deleted)');
  assert.equal(all.stations.byDomain.air, 1);
  assert.equal(all.stations.online, 1, 'the device of oa-air-1 is connected');
  assert.equal(all.devices.connected, 1);
  assert.equal(all.influx.reachable, true);
  assert.equal(all.spool.maxBytes, tp.platform.config.spool.maxBytes);
  assert.ok(all.webhooks.dead + all.webhooks.pending >= 1, 'the unreachable subscription left an outbox row');
  assert.equal(all.webhooks.pending, (await tp.api('GET', '/api/v1/webhook-deliveries?state=pending')).body.total);
  assert.equal(all.webhooks.dead, (await tp.api('GET', '/api/v1/webhook-deliveries?state=dead')).body.total);
  assert.equal(all.alerts.open, 1);
  assert.equal(all.alerts.byLevel.red, 1);
  assert.ok(all.deadLetters >= 1);

  const water = (await tp.api('POST', '/api/v1/tokens', { name: '水利局', role: 'viewer', departments: ['water'] })).body.token as string;
  const scoped = (await tp.api('GET', '/api/v1/status', undefined, water)).body;
  assert.deepEqual(scoped.scope, ['water']);
  assert.equal(scoped.stations.total, 0);
  assert.equal(scoped.stations.online, 0);
  assert.equal(scoped.alerts.open, 0);
  assert.equal(scoped.deadLetters, 0);
  assert.equal(scoped.devices.connected, 1, 'platform health is the same for every caller');

  assert.equal((await tp.api('GET', '/api/v1/status', undefined, '')).status, 401);
});
