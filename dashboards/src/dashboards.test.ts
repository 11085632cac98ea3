/**
 * Dashboards are code (STYLE rule 12): the committed JSON is what the generator writes, the
 * provisioning YAML is well formed, and no dashboard carries environment variables, foreign
 * datasources, overlapping panels or undefined template variables. The queries themselves run
 * against a real InfluxDB in test/e2e/dashboards.test.ts.
 */
import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildDashboards, dashboardJson } from './build-dashboards.ts';
import { extractQueries } from './grafana-queries.ts';
import { INFLUX_DATASOURCE_UID } from './grafana-model.ts';
import type { Dashboard, Panel } from './grafana-model.ts';

const ROOT = path.join(import.meta.dirname, '..');
const JSON_DIR = path.join(ROOT, 'provisioning', 'dashboards', 'json');
const built = buildDashboards();
const committed = (): Array<[string, string]> =>
  readdirSync(JSON_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, readFileSync(path.join(JSON_DIR, f), 'utf8')]);

test('the committed dashboard JSON is exactly what the generator writes (run dashboards/src/write-dashboards.ts)', () => {
  const files = committed();
  assert.deepEqual(files.map(([f]) => f), Object.keys(built).sort());
  for (const [file, text] of files) assert.equal(text, dashboardJson(built[file]!), `${file} is stale`);
});

test('no environment variables inside dashboard JSON; env belongs in provisioning values only', () => {
  for (const [file, text] of committed()) {
    assert.doesNotMatch(text, /\$\{?[A-Z][A-Z0-9_]*\}?/, `${file}: upper-case $VAR`);
    assert.doesNotMatch(text, /\$__env|SHANSHUI_/, `${file}: $__env or SHANSHUI_`);
  }
});

function walk(value: unknown, visit: (key: string, v: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit(k, v);
      walk(v, visit);
    }
  }
}

test('every datasource reference is the provisioned InfluxDB uid (or the built-in Grafana annotations)', () => {
  for (const [file, d] of Object.entries(built)) {
    walk(d, (key, v) => {
      if (key !== 'datasource') return;
      const ref = v as { type: string; uid: string };
      assert.ok((ref.type === 'influxdb' && ref.uid === INFLUX_DATASOURCE_UID) || (ref.type === 'grafana' && ref.uid === '-- Grafana --'), `${file}: ${JSON.stringify(ref)}`);
    });
  }
});

test('dashboards: unique uids, unique panel ids, panels on the 24-column grid without overlap', () => {
  const uids = Object.values(built).map((d) => d.uid);
  assert.equal(new Set(uids).size, uids.length);
  for (const [file, d] of Object.entries(built)) {
    assert.equal(d.editable, false, file);
    const panels: Panel[] = [...d.panels];
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, `${file} panel ids`);
    for (const [i, a] of panels.entries()) {
      assert.ok(a.gridPos.x >= 0 && a.gridPos.x + a.gridPos.w <= 24, `${file} ${a.title} within 24 columns`);
      for (const b of panels.slice(i + 1)) {
        const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
        assert.ok(!overlap, `${file}: "${a.title}" overlaps "${b.title}"`);
      }
    }
  }
});

test('every $variable a query uses is defined by the dashboard (or is a Grafana macro)', () => {
  const macros = new Set(['$timeFilter', '$__interval', '$interval', '$col', '$tag_station']);
  for (const [file, d] of Object.entries(built) as Array<[string, Dashboard]>) {
    const names = new Set(d.templating.list.map((v) => `$${v.name}`));
    for (const q of extractQueries(d)) {
      for (const m of q.query.matchAll(/\$[A-Za-z_][A-Za-z0-9_]*/g)) assert.ok(names.has(m[0]) || macros.has(m[0]), `${file} ${q.where}: undefined ${m[0]}`);
    }
    const order = d.templating.list.map((v) => v.name);
    for (const v of d.templating.list) {
      if (v.type !== 'query') continue;
      for (const m of v.query.matchAll(/\$([A-Za-z_]+)/g)) assert.ok(order.indexOf(m[1]!) < order.indexOf(v.name), `${file}: $${v.name} uses later $${m[1]}`);
    }
  }
});

interface ProvisioningFile {
  apiVersion?: unknown;
  datasources?: Array<Record<string, unknown>>;
  providers?: Array<Record<string, unknown> & { options?: { path?: string } }>;
}

const yamlFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f));

test('provisioning YAML: apiVersion 1, fixed datasource uid, env only in values, allowUiUpdates false', () => {
  const files = [
    ...yamlFiles(path.join(ROOT, 'provisioning', 'datasources')),
    ...yamlFiles(path.join(ROOT, 'provisioning', 'dashboards')),
    ...yamlFiles(path.join(ROOT, 'optional')),
  ];
  assert.ok(files.length >= 3);
  let influx = 0;
  let providers = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.match(text.split('\n').filter((l) => l.trim() && !l.startsWith('#'))[0]!, /^apiVersion: 1$/, `${file} starts with apiVersion: 1`);
    const doc = parse(text) as ProvisioningFile;
    assert.equal(doc.apiVersion, 1, file);
    for (const ds of doc.datasources ?? []) {
      assert.match(String(ds['uid']), /^shanshui-[a-z]+$/, `${file}: fixed uid`);
      assert.equal(ds['editable'], false);
      if (ds['type'] === 'influxdb') {
        influx++;
        assert.equal(ds['uid'], INFLUX_DATASOURCE_UID);
        assert.equal((ds['jsonData'] as Record<string, unknown>)['version'], 'InfluxQL');
        assert.match(String(ds['url']), /^\$SHANSHUI_INFLUX_URL$/, 'URL from the environment');
      }
      // Env variables only as whole values, never in keys.
      walk(ds, (key) => assert.doesNotMatch(key, /\$/, `${file}: key ${key}`));
    }
    for (const p of doc.providers ?? []) {
      providers++;
      assert.equal(p['allowUiUpdates'], false, `${file}: allowUiUpdates false`);
      assert.equal(p['type'], 'file');
      assert.equal(p.options?.path, '/etc/grafana/provisioning/dashboards/json', 'the mounted JSON folder');
    }
  }
  assert.equal(influx, 1, 'one InfluxDB datasource');
  assert.equal(providers, 1, 'one dashboard provider');
});

test('Geomap basemap by configuration: none fetches nothing, 天地图 needs its key, XYZ needs a template; the map links to the domain dashboards and the platform', async () => {
  const { geomapBaselayer, grafanaBasemapEnv } = await import('./geomap-basemap.ts');
  const { buildDashboards } = await import('./build-dashboards.ts');
  const { grafanaDashboards } = await import('./grafana-schema-check.ts');
  expect(geomapBaselayer('none').config.url).toBe('data:,');
  expect(() => geomapBaselayer('tianditu')).toThrow(/天地图 key/);
  expect(geomapBaselayer('tianditu', 'abc123def456').config.url).toMatch(/^https:\/\/t0\.tianditu\.gov\.cn\/vec_w\/wmts\?.*TILEMATRIX=\{z\}&TILEROW=\{y\}&TILECOL=\{x\}&tk=abc123def456$/);
  expect(() => geomapBaselayer('xyz', 'http://tiles.local/tile.png')).toThrow(/\{z\}/);
  expect(grafanaBasemapEnv('xyz', 'http://10.0.0.5/{z}/{x}/{y}.png')).toBe(`GRAFANA_BASEMAP_CONFIG='{"type":"xyz","name":"底图","config":{"url":"http://10.0.0.5/{z}/{x}/{y}.png","attribution":""}}'\n`);
  const overview = buildDashboards()['overview.json']!;
  const map = overview.panels.find((p) => p.type === 'geomap')!;
  expect((map.options as { basemap: { type: string } }).basemap.type).toBe('default');
  const links = map.fieldConfig!.defaults.links!;
  // Grafana fills ${__data.fields.x} with the field's display text (its value mappings applied), so the
  // board column's mappings turn a station's domain into its dashboard's uid.
  expect(links.map((l) => l.url)).toEqual(['/d/${__data.fields.board}?var-station=${__data.fields.station}&${__url_time_range}', '${platform_url}/?station=${__data.fields.station}']);
  expect(overview.templating.list.some((v) => v.name === 'platform_url')).toBe(true);
  const board = map.fieldConfig!.overrides.find((o) => o.matcher.options === 'board')!;
  const mappings = board.properties.find((p) => p.id === 'mappings')!.value as Array<{ options: Record<string, { text: string }> }>;
  const uidOf = Object.fromEntries(Object.entries(mappings[0]!.options).map(([domain, m]) => [domain, m.text]));
  const { DOMAINS } = await import('@shanshui/models');
  const all = Object.values(buildDashboards());
  for (const domain of DOMAINS) {
    // Each domain's marker opens a dashboard that exists, whose station variable lists that domain's stations.
    const target = all.find((d) => d.uid === uidOf[domain]);
    expect(target, `${domain} → ${uidOf[domain]}`).toBeDefined();
    const station = target!.templating.list.find((v) => v.name === 'station')!;
    expect(station.type === 'query' ? station.query : '', domain).toMatch(new RegExp(`"domain" (= '${domain}'|=~ /\\^\\([a-z_|]*\\b${domain}\\b)`));
  }
  // Checked against @grafana/schema by the typecheck; here only that every dashboard passes through it.
  expect(Object.keys(grafanaDashboards()).sort()).toEqual(Object.keys(buildDashboards()).sort());
});
