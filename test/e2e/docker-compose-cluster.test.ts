/**
 * docker-compose.cluster.yml and deploy/haproxy.cfg cannot run here (no Docker engine), so this
 * checks they hold together: three nodes, PostgreSQL, Redis, InfluxDB and HAProxy; pinned images;
 * every SHANSHUI_* variable one the platform reads; each node its own spool volume and no port
 * of its own; nodes reach the shared engines by service name; HAProxy routes MQTT (with the
 * PROXY protocol the nodes expect) and HTTP to exactly those nodes, by their readiness and
 * liveness probes; Debian's HAProxy accepts the file (`haproxy -c`).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS, envNameOf } from '@shanshui/ingest';

const ROOT = path.join(import.meta.dirname, '..', '..');
const composeText = readFileSync(path.join(ROOT, 'docker-compose.cluster.yml'), 'utf8');
const haproxyFile = path.join(ROOT, 'deploy', 'haproxy.cfg');
const haproxyText = readFileSync(haproxyFile, 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
}
// `<<: *node`: the three nodes share one definition (YAML merge keys).
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown>; networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }> };
const services = Object.entries(compose.services);
const NODES = ['node-1', 'node-2', 'node-3'];
const nodes = NODES.map((n) => compose.services[n]!);

test('three platform nodes, PostgreSQL, Redis, one InfluxDB and HAProxy; images pinned, dependants wait for healthy services', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['haproxy', 'influxdb', ...NODES, 'postgres', 'redis']);
  for (const [name, s] of services) {
    assert.match(s.image ?? '', /:\d+\.\d+(\.\d+)?(-[a-z]+)?$/, `${name}: a pinned version tag`);
    assert.ok(s.healthcheck?.test && s.healthcheck.test.length > 1, `${name} healthcheck`);
    for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
      assert.ok(dep in compose.services, `${name} depends on a service`);
      assert.equal(cond.condition, 'service_healthy', `${name} waits for ${dep}`);
    }
  }
  assert.equal(new Set(nodes.map((n) => n.image)).size, 1, 'one platform image');
  assert.ok(existsSync(path.join(ROOT, compose.services['node-1']!.build!.dockerfile ?? 'Dockerfile')), 'node-1 builds it');
});

test('every SHANSHUI_* variable of a node is a platform config key; nodes share the engines and the secret key', () => {
  const known = new Set(Object.keys(CONFIG_KEYS).map(envNameOf));
  for (const [i, node] of nodes.entries()) {
    const env = node.environment ?? {};
    for (const key of Object.keys(env)) if (key.startsWith('SHANSHUI_')) assert.ok(known.has(key), `${NODES[i]}: ${key} is not a platform config key (CONFIG_KEYS)`);
    assert.equal(new URL(env['SHANSHUI_DATABASE_URL']!.replace(/\$\{[^}]*\}/g, 'x')).hostname, 'postgres');
    assert.equal(new URL(env['SHANSHUI_REDIS_URL']!.replace(/\$\{[^}]*\}/g, 'x')).hostname, 'redis');
    assert.equal(new URL(env['SHANSHUI_INFLUX_URL']!).hostname, 'influxdb');
    assert.match(env['SHANSHUI_SECRET_KEY']!, /^\$\{SHANSHUI_SECRET_KEY:\?/, 'the secret key comes from .env, required');
    assert.equal(env['SHANSHUI_MQTT_PROXY_PROTOCOL'], 'true', 'HAProxy sends PROXY protocol');
    assert.deepEqual(Object.keys(node.depends_on ?? {}).sort(), ['influxdb', 'postgres', 'redis']);
    assert.equal(node.ports, undefined, `${NODES[i]} publishes no port: clients come through HAProxy`);
    // Alive, not ready: an InfluxDB outage must not get a node restarted.
    assert.match(node.healthcheck!.test!.join(' '), /\/livez/);
  }
  const spoolVolumes = nodes.map((n) => (n.volumes ?? []).find((v) => v.endsWith(':/data'))!.split(':')[0]);
  assert.equal(new Set(spoolVolumes).size, 3, 'each node its own data volume (spool)');
  for (const v of spoolVolumes) assert.ok(v! in compose.volumes, `${v} declared`);
});

test('the nodes believe forwarded addresses only from HAProxy', () => {
  const subnet = compose.networks['cluster']!.ipam.config[0]!.subnet;
  const haproxyNet = compose.services['haproxy']!.networks as Record<string, { ipv4_address?: string }>;
  const address = haproxyNet['cluster']!.ipv4_address!;
  const [net, bits] = subnet.split('/');
  const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  assert.equal((toInt(address) & mask) >>> 0, (toInt(net!) & mask) >>> 0, `HAProxy ${address} is in ${subnet}`);
  for (const node of nodes) assert.equal(node.environment!['SHANSHUI_TRUST_PROXY'], subnet);
});

test('HAProxy routes MQTT (PROXY protocol) and HTTP to exactly the three nodes, by /readyz first and /livez as the fallback', () => {
  const haproxy = compose.services['haproxy']!;
  assert.ok(haproxy.volumes?.includes('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro'));
  for (const port of ['1883', '8080']) assert.ok(haproxy.ports?.some((p) => p.endsWith(`:${port}`)), `HAProxy publishes ${port}`);
  const backends = new Map<string, { check: string; servers: string[] }>();
  let current: string | undefined;
  for (const raw of haproxyText.split('\n')) {
    const line = raw.trim();
    const section = /^(backend|frontend|global|defaults|resolvers)\s*(\S*)/.exec(raw);
    if (section) current = section[1] === 'backend' ? section[2] : undefined;
    if (!current) continue;
    const b = backends.get(current) ?? { check: '', servers: [] };
    backends.set(current, b);
    const check = /^option httpchk GET (\S+)/.exec(line);
    if (check) b.check = check[1]!;
    if (line.startsWith('server ')) b.servers.push(line);
  }
  const expect = { mqtt_ready: ['/readyz', 1883], mqtt_live: ['/livez', 1883], http_ready: ['/readyz', 8080], http_live: ['/livez', 8080] } as const;
  assert.deepEqual([...backends.keys()].sort(), Object.keys(expect).sort());
  for (const [name, [probe, port]] of Object.entries(expect)) {
    const b = backends.get(name)!;
    assert.equal(b.check, probe, `${name} checks ${probe}`);
    assert.deepEqual(b.servers.map((s) => s.split(/\s+/)[2]), NODES.map((n) => `${n}:${port}`), `${name} → the three nodes`);
    for (const s of b.servers) {
      if (port === 1883) {
        assert.match(s, /\bsend-proxy\b/, `${name}: PROXY protocol`);
        assert.match(s, /\bcheck port 8080\b/, `${name}: probes on the HTTP port`);
      } else assert.doesNotMatch(s, /send-proxy/);
    }
  }
  // The probes are routes the platform serves without a token, also on plain HTTP.
  const listenApi = readFileSync(path.join(ROOT, 'ingest', 'src', 'api', 'listen-api.ts'), 'utf8');
  for (const probe of ['/readyz', '/livez']) assert.ok(listenApi.includes(`'${probe}'`), `platform serves ${probe} on plain HTTP`);
});

test("Debian's HAProxy accepts deploy/haproxy.cfg", () => {
  const binary = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p));
  assert.ok(binary, 'haproxy installed (.ci/apt-packages)');
  const result = spawnSync(binary, ['-c', '-f', haproxyFile], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout + result.stderr, /Configuration file is valid/);
});

test('.env.example defines every ${VAR} the cluster file uses; no secret is inline', () => {
  const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  const defined = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  for (const m of composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) assert.ok(defined.has(m[1]!), `.env.example defines ${m[1]}`);
  for (const [name, s] of services) {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (/PASSWORD|TOKEN|SECRET/.test(key)) assert.match(String(value), /^\$\{[A-Z_]+(:\?[^}]*)?\}$/, `${name}: ${key} comes from .env`);
    }
  }
});
