/**
 * docker-compose.yml cannot run here (no Docker engine), so this checks it is consistent: every
 * bind mount exists, every image is pinned, every SHANSHUI_* variable is one the platform (or
 * the simulator agent) reads, every service has a healthcheck, Grafana's datasource points at
 * the influxdb service, and .env.example defines every variable the file interpolates.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS, envNameOf } from '@shanshui/ingest';
import { nodeArgsOf, startNodeArgs } from '../support/start-node-args.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(composeText) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = Object.entries(compose.services);

test('the stack has InfluxDB, the platform, Grafana and a simulator edge agent', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['edge-agent', 'grafana', 'influxdb', 'platform']);
});

test('every image carries a pinned tag (no latest); built images have their Dockerfile', () => {
  for (const [name, s] of services) {
    assert.ok(s.image, `${name} names its image`);
    const m = /^(.+):([A-Za-z0-9_.-]+)$/.exec(s.image);
    assert.ok(m, `${name}: ${s.image} has a tag`);
    assert.notEqual(m[2], 'latest', `${name}: not latest`);
    assert.match(m[2]!, /\d+\.\d+(\.\d+)?/, `${name}: a version tag (${m[2]})`);
    if (s.build) {
      const b = typeof s.build === 'string' ? { context: s.build } : s.build;
      assert.ok(existsSync(path.join(ROOT, b.context, b.dockerfile ?? 'Dockerfile')), `${name}: Dockerfile exists`);
    }
  }
  assert.match(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'), /^FROM node:24-[a-z]+-slim$/m, 'Node 24 base image, pinned to a major');
});

test('bind mounts exist; named volumes are declared', () => {
  for (const [name, s] of services) {
    for (const v of s.volumes ?? []) {
      const [source] = v.split(':');
      if (source!.startsWith('.') || source!.startsWith('/')) assert.ok(existsSync(path.join(ROOT, source!)), `${name}: ${source} exists`);
      else assert.ok(compose.volumes && source! in compose.volumes, `${name}: named volume ${source} declared`);
    }
  }
});

test('every SHANSHUI_* variable is a platform config key (or one the simulator agent reads)', () => {
  const platformNames = new Set(Object.keys(CONFIG_KEYS).map(envNameOf));
  const agentSource = readFileSync(path.join(ROOT, 'edge-agent', 'src', 'simulator-main.ts'), 'utf8');
  const used = new Set<string>();
  for (const [name, s] of services) {
    for (const key of Object.keys(s.environment ?? {})) {
      if (!key.startsWith('SHANSHUI_')) continue;
      used.add(key);
      if (key.startsWith('SHANSHUI_AGENT_')) {
        assert.equal(name, 'edge-agent', `${key} only for the agent`);
        assert.ok(agentSource.includes(`${key}:`), `${name}: ${key} is read by simulator-main.ts`);
      } else assert.ok(platformNames.has(key), `${name}: ${key} is not a platform config key (CONFIG_KEYS)`);
    }
  }
  // The datasource provisioning reads the same names from Grafana's environment.
  const datasource = readFileSync(path.join(ROOT, 'dashboards', 'provisioning', 'datasources', 'shanshui.yaml'), 'utf8');
  for (const m of datasource.matchAll(/\$\{?(SHANSHUI_[A-Z_]+)/g)) {
    assert.ok(platformNames.has(m[1]!), `datasource: ${m[1]} is a platform config name`);
    assert.ok(m[1]! in (compose.services['grafana']!.environment ?? {}), `grafana service sets ${m[1]}`);
  }
  assert.ok(used.has('SHANSHUI_INFLUX_URL') && used.has('SHANSHUI_API_TOKEN'));
});

test('every service has a healthcheck; dependants wait for healthy services', () => {
  for (const [name, s] of services) {
    assert.ok(s.healthcheck?.test && s.healthcheck.test.length > 1, `${name} healthcheck`);
    for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
      assert.ok(dep in compose.services, `${name} depends on a service`);
      assert.equal(cond.condition, 'service_healthy', `${name} waits for ${dep}`);
    }
  }
});

test('Grafana mounts the provisioning folder, its datasource points at the influxdb service, the platform writes there too', () => {
  const grafana = compose.services['grafana']!;
  assert.ok(grafana.volumes?.includes('./dashboards/provisioning:/etc/grafana/provisioning:ro'));
  const provider = parse(readFileSync(path.join(ROOT, 'dashboards', 'provisioning', 'dashboards', 'shanshui.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
  const inContainer = provider.providers[0]!.options.path;
  assert.ok(inContainer.startsWith('/etc/grafana/provisioning/'));
  assert.ok(existsSync(path.join(ROOT, 'dashboards', 'provisioning', inContainer.slice('/etc/grafana/provisioning/'.length), 'overview.json')), 'the provider path holds the JSON');
  const home = grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'];
  assert.ok(home && existsSync(path.join(ROOT, 'dashboards', 'provisioning', home.slice('/etc/grafana/provisioning/'.length))), 'home dashboard exists');
  for (const svc of ['grafana', 'platform']) {
    const url = new URL(compose.services[svc]!.environment!['SHANSHUI_INFLUX_URL']!);
    assert.equal(url.hostname, 'influxdb', `${svc} → influxdb service`);
    assert.equal(url.port, '8086');
  }
  const agent = compose.services['edge-agent']!.environment!;
  assert.equal(new URL(agent['SHANSHUI_AGENT_MQTT_URL']!).hostname, 'platform');
  assert.equal(new URL(agent['SHANSHUI_AGENT_API_URL']!).hostname, 'platform');
  assert.deepEqual(compose.services['edge-agent']!.command, ['node', 'edge-agent/src/simulator-main.ts']);
  assert.ok(existsSync(path.join(ROOT, 'edge-agent', 'src', 'simulator-main.ts')));
});

test('credentials come from the environment: .env.example defines every ${VAR} the file uses, and no secret is inline', () => {
  const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  const defined = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  for (const m of composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) assert.ok(defined.has(m[1]!), `.env.example defines ${m[1]}`);
  for (const [name, s] of services) {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (/PASSWORD|TOKEN/.test(key)) assert.match(String(value), /^\$\{[A-Z_]+(:\?[^}]*)?\}$/, `${name}: ${key} comes from .env`);
    }
  }
  const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
  assert.match(ignored, /^\.env$/m, '.env never enters the image');
});

test('the image and the demo start the platform with the node options of npm start: the V8 helper pool sized to the cores', () => {
  // Node's default is four helper threads whatever the cores; on two, they preempt the main thread under load (docs/benchmarks.md).
  const start = startNodeArgs();
  assert.ok(start.includes('--v8-pool-size=0'), `npm start: ${start.join(' ')}`);
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  assert.ok(cmd, 'the Dockerfile has a CMD');
  assert.deepEqual(nodeArgsOf((JSON.parse(cmd[1]!) as string[]).join(' '), 'ingest/src/main.ts'), start, 'Dockerfile CMD');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.deepEqual(nodeArgsOf(pkg.scripts['demo'] ?? '', 'scripts/demo.ts'), start, 'npm run demo');
  for (const [name, s] of services) if (s.command?.includes('ingest/src/main.ts')) assert.deepEqual(nodeArgsOf(s.command.join(' '), 'ingest/src/main.ts'), start, `compose ${name}`);
});
