/**
 * Who may do what: every /api/v1 route × every role × scope (one department, '*')
 * × target department (own, another), allowed and refused both asserted, generated from the
 * platform's own route table — a route without an entry here fails the test. Every change an
 * allowed call makes must show up in the audit log under the token that made it.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { readmeRoles } from '../support/readme-roles.ts';
import type { ReadmeRole } from '../support/readme-roles.ts';

type Role = ReadmeRole;
/** The least role holding each permission, as the README's "Roles" table documents it. */
const { roles: ROLES, leastRole: LEAST_ROLE } = readmeRoles();
const OWN = 'water';
const OTHER = 'eco-env';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ defaultRules: false, webhookMaxAttempts: 1, webhookTimeoutMs: 500, staleCheckIntervalMs: 60_000 });
});
afterAll(async () => {
  await tp?.close();
});

let n = 0;
const uid = (p: string): string => `${p}-${++n}`;
async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await tp.api(method, path, body);
  assert.ok(res.status < 300, `fixture ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const agentConfig = {
  version: 1,
  sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=1;s=Gate1.Supply', metric: 'supply_voltage' }], commands: [{ name: 'open_gate', write: { nodeId: 'ns=1;s=Gate1.Open', dataType: 'Boolean' } }] }],
};

async function station(dept: string, extra: Record<string, unknown> = {}): Promise<{ id: string; username: string; password: string }> {
  const id = uid(`st-${dept}`);
  const cred = await tp.register({ id, department: dept, ...extra });
  return { id, ...cred };
}
async function stationWithConfig(dept: string): Promise<string> {
  const s = await station(dept, { domain: 'reservoir' });
  await admin('PUT', `/api/v1/stations/${s.id}/config`, agentConfig);
  return s.id;
}
function ruleBody(dept: string, id?: string): Record<string, unknown> {
  return { ...(id ? { id } : {}), name: `rule ${dept}`, kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 100 }, scope: { department: dept } };
}
async function rule(dept: string): Promise<string> {
  return (await admin('POST', '/api/v1/rules', ruleBody(dept, uid(`rule-${dept}`)))).rule.id;
}
function subscriptionBody(dept: string): Record<string, unknown> {
  return { name: `centre ${dept}`, url: 'http://127.0.0.1:9/hook', secret: 'a-webhook-secret-of-24-chars!', filters: { departments: [dept] } };
}
async function subscription(dept: string): Promise<string> {
  return (await admin('POST', '/api/v1/subscriptions', subscriptionBody(dept))).subscription.id;
}
async function publish(s: { id: string; username: string; password: string }, payload: string): Promise<void> {
  const client = await tp.connect(s.username, s.password);
  await client.publishAsync(`shanshui/v1/${s.id}/up/readings`, payload, { qos: 1 });
  await client.endAsync();
}

// One alerting rule and one (unreachable, so soon dead) subscription per department.
const alertRule = new Map<string, string>();
const deptSubscription = new Map<string, string>();
async function alert(dept: string): Promise<string> {
  if (!alertRule.has(dept)) alertRule.set(dept, await rule(dept));
  if (!deptSubscription.has(dept)) deptSubscription.set(dept, await subscription(dept));
  const s = await station(dept);
  await publish(s, JSON.stringify({ seq: 1, ts: Date.now() - 1000, values: { pm25: 250 } }));
  return eventually(async () => (await admin('GET', `/api/v1/alerts?station=${s.id}`)).items[0]?.id as string | undefined, `alert of ${s.id}`);
}
async function deadDelivery(dept: string): Promise<number> {
  const alertId = await alert(dept);
  return eventually(async () => {
    const d = (await admin('GET', `/api/v1/webhook-deliveries?alert=${alertId}`)).items[0];
    return d?.state === 'dead' ? (d.id as number) : undefined;
  }, `dead delivery of ${alertId}`);
}

interface Call {
  readonly path: string;
  readonly body?: unknown;
  /** For lists: whether the answer shows the department's fixture. */
  readonly shows?: (body: any) => boolean;
}
interface Case {
  /**
   * item: another department's gets 404; create: 403 API_ERR_OUT_OF_SCOPE; list: 200 without it;
   * catalogue: city-wide data every token reads; city: city-wide data only a '*' token changes (403 API_ERR_OUT_OF_SCOPE otherwise).
   */
  readonly kind: 'item' | 'create' | 'list' | 'catalogue' | 'city';
  readonly ok: number;
  /** Builds the call against a fixture of `dept` (fresh each time unless `shared`). */
  readonly call: (dept: string) => Promise<Call>;
  /** Read-only: one fixture per department serves every attempt. */
  readonly shared?: boolean;
}

const CASES: Record<string, Case> = {
  'POST /api/v1/tokens': { kind: 'create', ok: 201, call: async (d) => ({ path: '/api/v1/tokens', body: { name: uid('tok'), role: 'viewer', departments: [d] } }) },
  'GET /api/v1/tokens': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const t = await admin('POST', '/api/v1/tokens', { name: uid('listed'), role: 'viewer', departments: [d] });
      return { path: '/api/v1/tokens?limit=1000', shows: (b) => b.items.some((x: any) => x.id === t.id) };
    },
  },
  'POST /api/v1/users': { kind: 'create', ok: 201, call: async (d) => ({ path: '/api/v1/users', body: { name: uid('person'), password: 'a-web-app-password', role: 'viewer', departments: [d] } }) },
  'GET /api/v1/users': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const u = await admin('POST', '/api/v1/users', { name: uid('listed-person'), password: 'a-web-app-password', role: 'viewer', departments: [d] });
      return { path: '/api/v1/users?limit=1000', shows: (b) => b.items.some((x: any) => x.name === u.name) };
    },
  },
  'PATCH /api/v1/users/:id': { kind: 'item', ok: 200, call: async (d) => ({ path: `/api/v1/users/${(await admin('POST', '/api/v1/users', { name: uid('changed-person'), password: 'a-web-app-password', role: 'viewer', departments: [d] })).name}`, body: { displayName: '改名' } }) },
  'DELETE /api/v1/users/:id': { kind: 'item', ok: 204, call: async (d) => ({ path: `/api/v1/users/${(await admin('POST', '/api/v1/users', { name: uid('doomed-person'), password: 'a-web-app-password', role: 'viewer', departments: [d] })).name}` }) },
  'DELETE /api/v1/tokens/:id': { kind: 'item', ok: 204, call: async (d) => ({ path: `/api/v1/tokens/${(await admin('POST', '/api/v1/tokens', { name: uid('doomed'), role: 'viewer', departments: [d] })).id}` }) },
  'GET /api/v1/audit': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const s = await station(d);
      return { path: '/api/v1/audit?limit=1000', shows: (b) => b.items.some((e: any) => e.target === s.id) };
    },
  },
  'POST /api/v1/stations': { kind: 'create', ok: 201, call: async (d) => ({ path: '/api/v1/stations', body: { id: uid('new'), name: '新站', domain: 'air', lat: 23.1, lon: 113.3, region: '440106', department: d } }) },
  'GET /api/v1/stations': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const s = await station(d);
      return { path: '/api/v1/stations?limit=1000', shows: (b) => b.items.some((x: any) => x.id === s.id) };
    },
  },
  'GET /api/v1/stations/:id': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}` }) },
  'PATCH /api/v1/stations/:id': { kind: 'item', ok: 200, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}`, body: { name: '改名站', gatewayId: (await station(d)).id } }) },
  'POST /api/v1/stations/:id/credentials': { kind: 'item', ok: 201, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}/credentials` }) },
  'DELETE /api/v1/stations/:id': { kind: 'item', ok: 204, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}` }) },
  'GET /api/v1/delivery': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const s = await station(d);
      await publish(s, JSON.stringify({ seq: 1, ts: Date.now() - 1000, values: { pm25: 10 } }));
      await eventually(async () => (await admin('GET', '/api/v1/delivery')).items.some((x: any) => x.deviceId === s.id), 'delivery stats');
      return { path: '/api/v1/delivery?limit=1000', shows: (b) => b.items.some((x: any) => x.deviceId === s.id) };
    },
  },
  'GET /api/v1/stations/:id/readings/latest': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}/readings/latest` }) },
  'GET /api/v1/stations/:id/readings': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}/readings?metric=pm25` }) },
  'GET /api/v1/readings/latest': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const s = await station(d);
      return { path: '/api/v1/readings/latest?limit=1000', shows: (b) => b.items.some((x: any) => x.stationId === s.id) };
    },
  },
  'GET /api/v1/status': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      await station(d);
      // Scoped counts: a token covering the department reports it in its scope (and counts its stations).
      return { path: '/api/v1/status', shows: (b) => (b.scope === '*' || b.scope.includes(d)) && b.stations.total > 0 };
    },
  },
  'GET /api/v1/dead-letters': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const s = await station(d);
      await publish(s, 'not json at all');
      await eventually(async () => (await admin('GET', `/api/v1/dead-letters?device=${s.id}`)).items.length > 0, 'dead letter');
      return { path: '/api/v1/dead-letters?limit=1000', shows: (b) => b.items.some((x: any) => x.deviceId === s.id) };
    },
  },
  'POST /api/v1/stations/:id/bootstrap-tokens': { kind: 'item', ok: 201, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}/bootstrap-tokens`, body: {} }) },
  'PUT /api/v1/stations/:id/config': { kind: 'item', ok: 200, call: async (d) => ({ path: `/api/v1/stations/${(await station(d)).id}/config`, body: agentConfig }) },
  'GET /api/v1/stations/:id/config': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/stations/${await stationWithConfig(d)}/config` }) },
  'POST /api/v1/stations/:id/commands': { kind: 'item', ok: 202, call: async (d) => ({ path: `/api/v1/stations/${await stationWithConfig(d)}/commands`, body: { name: 'open_gate', args: { value: true }, ttlSec: 60 } }) },
  'GET /api/v1/stations/:id/commands': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/stations/${await stationWithConfig(d)}/commands` }) },
  'GET /api/v1/commands/:id': {
    kind: 'item', ok: 200, shared: true,
    call: async (d) => ({ path: `/api/v1/commands/${(await admin('POST', `/api/v1/stations/${await stationWithConfig(d)}/commands`, { name: 'open_gate', args: { value: false }, ttlSec: 60 })).command.id}` }),
  },
  'GET /api/v1/map.geojson': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const s = await station(d);
      return { path: '/api/v1/map.geojson', shows: (b) => b.features.some((f: any) => f.properties.id === s.id) };
    },
  },
  'GET /api/v1/alerts': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const id = await alert(d);
      return { path: '/api/v1/alerts?limit=1000', shows: (b) => b.items.some((x: any) => x.id === id) };
    },
  },
  'GET /api/v1/alerts/:id': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/alerts/${await alert(d)}` }) },
  'POST /api/v1/alerts/:id/ack': { kind: 'item', ok: 200, call: async (d) => ({ path: `/api/v1/alerts/${await alert(d)}/ack`, body: { by: '值班员' } }) },
  'GET /api/v1/rules': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const id = await rule(d);
      return { path: '/api/v1/rules?limit=1000', shows: (b) => b.items.some((x: any) => x.id === id) };
    },
  },
  'GET /api/v1/rules/:id': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/rules/${await rule(d)}` }) },
  'POST /api/v1/rules': { kind: 'create', ok: 201, call: async (d) => ({ path: '/api/v1/rules', body: ruleBody(d, uid(`new-rule-${d}`)) }) },
  'PUT /api/v1/rules/:id': { kind: 'item', ok: 200, call: async (d) => ({ path: `/api/v1/rules/${await rule(d)}`, body: ruleBody(d) }) },
  'DELETE /api/v1/rules/:id': { kind: 'item', ok: 204, call: async (d) => ({ path: `/api/v1/rules/${await rule(d)}` }) },
  'GET /api/v1/subscriptions': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const id = await subscription(d);
      return { path: '/api/v1/subscriptions?limit=1000', shows: (b) => b.items.some((x: any) => x.id === id) };
    },
  },
  'GET /api/v1/subscriptions/:id': { kind: 'item', ok: 200, shared: true, call: async (d) => ({ path: `/api/v1/subscriptions/${await subscription(d)}` }) },
  'POST /api/v1/subscriptions': { kind: 'create', ok: 201, call: async (d) => ({ path: '/api/v1/subscriptions', body: subscriptionBody(d) }) },
  'PUT /api/v1/subscriptions/:id': { kind: 'item', ok: 200, call: async (d) => ({ path: `/api/v1/subscriptions/${await subscription(d)}`, body: subscriptionBody(d) }) },
  'DELETE /api/v1/subscriptions/:id': { kind: 'item', ok: 204, call: async (d) => ({ path: `/api/v1/subscriptions/${await subscription(d)}` }) },
  'POST /api/v1/subscriptions/:id/test': { kind: 'item', ok: 202, call: async (d) => ({ path: `/api/v1/subscriptions/${await subscription(d)}/test` }) },
  'GET /api/v1/webhook-deliveries': {
    kind: 'list', ok: 200, shared: true,
    call: async (d) => {
      const id = await deadDelivery(d);
      return { path: '/api/v1/webhook-deliveries?limit=1000', shows: (b) => b.items.some((x: any) => x.id === id) };
    },
  },
  'POST /api/v1/lockouts/lift': { kind: 'city', ok: 200, call: async () => ({ path: '/api/v1/lockouts/lift', body: { address: '192.0.2.7' } }) },
  'GET /api/v1/catalogue': { kind: 'catalogue', ok: 200, shared: true, call: async () => ({ path: '/api/v1/catalogue' }) },
  'GET /api/v1/profiles': { kind: 'catalogue', ok: 200, shared: true, call: async () => ({ path: '/api/v1/profiles' }) },
  'GET /api/v1/profiles/:id': { kind: 'catalogue', ok: 200, shared: true, call: async () => ({ path: '/api/v1/profiles/flue-gas-cems' }) },
  'PUT /api/v1/profiles/:id': {
    kind: 'city', ok: 200,
    call: async (d) => {
      const id = uid(`profile-${d}`);
      return { path: `/api/v1/profiles/${id}`, body: { id, name: `测试 ${d}`, domain: 'air', metrics: ['pm25'] } };
    },
  },
  'POST /api/v1/webhook-deliveries/:id/redeliver': { kind: 'item', ok: 202, call: async (d) => ({ path: `/api/v1/webhook-deliveries/${await deadDelivery(d)}/redeliver` }) },
};

/** Routes anyone may call without a token, with the status they answer. */
const PUBLIC: Record<string, { call: Call; ok: number }> = {
  'GET /api/v1/openapi.json': { call: { path: '/api/v1/openapi.json' }, ok: 200 },
  'GET /api/v1/schema/readings.json': { call: { path: '/api/v1/schema/readings.json' }, ok: 200 },
  'GET /api/v1/schema/webhook-event.json': { call: { path: '/api/v1/schema/webhook-event.json' }, ok: 200 },
  'POST /api/v1/provision': { call: { path: '/api/v1/provision', body: { token: 'sst_never-issued-token' } }, ok: 401 },
};

test('every /api/v1 route declares a permission and has a matrix entry', () => {
  const table = tp.platform.apiRoutes.map((r) => `${r.method} ${r.url}`).sort();
  const covered = [...Object.keys(CASES), ...Object.keys(PUBLIC)].sort();
  assert.deepEqual(table, covered, 'a route without a matrix entry (or an entry without a route)');
  for (const r of tp.platform.apiRoutes) {
    const key = `${r.method} ${r.url}`;
    if (key in PUBLIC) assert.equal(r.permission, 'public', key);
    else assert.ok(r.permission in LEAST_ROLE, `${key} declares ${r.permission}`);
  }
});

test('public routes answer without a token', async () => {
  for (const [key, { call, ok }] of Object.entries(PUBLIC)) {
    const res = await tp.api(key.split(' ')[0]!, call.path, call.body, '');
    assert.equal(res.status, ok, `${key}: ${JSON.stringify(res.body)}`);
  }
});

test('a percent-encoded path is checked as the route it reaches: no token, no answer; and no unaudited change', async () => {
  // The router decodes %xx before matching, so /%61pi/v1/… reaches the /api/v1/… handlers.
  for (const path of ['/%61pi/v1/rules', '/%61pi/v1/stations', '/api/%761/audit', '/%61pi/v1/status']) {
    const res = await tp.api('GET', path, undefined, '');
    assert.equal(res.status, 401, `${path} without a token: ${JSON.stringify(res.body)}`);
  }
  const before = (await admin('GET', '/api/v1/audit?limit=500')).items.length;
  const res = await tp.api('POST', '/%61pi/v1/stations', { id: uid('st-enc'), name: 'x', domain: 'air', lat: 23, lon: 113, region: '440106', department: OWN }, '');
  assert.equal(res.status, 401, JSON.stringify(res.body));
  const encodedId = uid('st-enc');
  const viaEncoded = await tp.api('POST', '/%61pi/v1/stations', { id: encodedId, name: '编码路径', domain: 'air', lat: 23, lon: 113, region: '440106', department: OWN });
  assert.equal(viaEncoded.status, 201, JSON.stringify(viaEncoded.body));
  const after = (await admin('GET', '/api/v1/audit?limit=500')).items as Array<{ route: string; target: string | null }>;
  assert.equal(after.length, before + 1, 'the change through the encoded path is audited');
  assert.ok(after.some((e) => e.route === '/api/v1/stations' && e.target === encodedId), JSON.stringify(after.slice(0, 2)));
});

test('role × department matrix over every route; every allowed change is audited under its token', async () => {
  const scopes: Array<{ label: string; departments: '*' | string[] }> = [
    { label: OWN, departments: [OWN] },
    { label: '*', departments: '*' },
  ];
  const tokens: Array<{ role: Role; scope: string; departments: '*' | string[]; id: string; secret: string }> = [];
  for (const role of ROLES) {
    for (const s of scopes) {
      const t = await admin('POST', '/api/v1/tokens', { name: `${role}@${s.label}`, role, departments: s.departments });
      assert.match(t.token, /^ssk_/);
      tokens.push({ role, scope: s.label, departments: s.departments, id: t.id, secret: t.token });
    }
  }
  const sharedCalls = new Map<string, Call>();
  const failures: string[] = [];
  for (const route of tp.platform.apiRoutes) {
    const key = `${route.method} ${route.url}`;
    if (route.permission === 'public') continue;
    const c = CASES[key]!;
    const allowedRole = ROLES.indexOf(LEAST_ROLE[route.permission]!);
    for (const t of tokens) {
      for (const dept of [OWN, OTHER]) {
        let call = c.shared ? sharedCalls.get(`${key} ${dept}`) : undefined;
        if (!call) {
          call = await c.call(dept);
          if (c.shared) sharedCalls.set(`${key} ${dept}`, call);
        }
        const res = await tp.api(route.method, call.path, call.body, t.secret);
        const where = `${key} as ${t.role}@${t.scope} on ${dept}: got ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`;
        const covers = t.departments === '*' || (c.kind !== 'city' && t.departments.includes(dept));
        const expect = (cond: boolean, what: string) => {
          if (!cond) failures.push(`${where} — expected ${what}`);
        };
        if (ROLES.indexOf(t.role) < allowedRole) {
          expect(res.status === 403 && res.body?.error?.code === 'API_ERR_FORBIDDEN', '403 API_ERR_FORBIDDEN (role)');
          continue;
        }
        if (c.kind === 'catalogue') {
          expect(res.status === c.ok, `${c.ok}`);
          continue;
        }
        if (c.kind === 'list') {
          expect(res.status === c.ok, `${c.ok}`);
          if (res.status === c.ok) expect(call.shows!(res.body) === covers, covers ? 'the fixture listed' : 'the fixture filtered out');
          continue;
        }
        if (!covers) {
          if (c.kind === 'city') expect(res.status === 403 && res.body?.error?.code === 'API_ERR_OUT_OF_SCOPE', '403 API_ERR_OUT_OF_SCOPE (city-wide)');
          else if (c.kind === 'item') expect(res.status === 404 && res.body?.error?.code === 'API_ERR_NOT_FOUND', '404 (existence not leaked)');
          else expect(res.status === 403 && res.body?.error?.code === 'API_ERR_OUT_OF_SCOPE' && /outside this token's scope/.test(res.body.error.message), '403 API_ERR_OUT_OF_SCOPE with the reason');
          continue;
        }
        expect(res.status === c.ok, `${c.ok}`);
        if (res.status === c.ok && route.method !== 'GET') {
          const last = (await admin('GET', `/api/v1/audit?actor=${t.id}&limit=1`)).items[0];
          expect(last?.method === route.method && last?.route === route.url && last?.actorName === `${t.role}@${t.scope}` && last?.status === c.ok, 'an audit entry of this change');
          expect(!JSON.stringify(last).includes('ssk_') && !JSON.stringify(last).includes('a-webhook-secret') && !JSON.stringify(last).includes('a-web-app-password'), 'no secret in the audit entry');
        }
      }
    }
  }
  assert.deepEqual(failures, []);
});
