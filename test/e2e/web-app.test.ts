/**
 * The 一张图 web app in a real browser (Debian's chromium through playwright-core) against a
 * real platform and influxd: sign in, the stations, filters, a live warning from a real MQTT
 * client, the station panel and its chart, acknowledging (and the audit log), department
 * scope on the map and on the live stream, and a page that never needs the network.
 * UPDATE_SCREENSHOTS=1 also writes the docs/ screenshots.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { launchBrowser, signIn } from '../support/browser.ts';

/** Waits are generous (a loaded 2-core machine); how fast the page turns is the bench's to say, not a test's. */
const WAIT = { timeout: 30_000, interval: 100 };
/** The live change: well within 2 s on an idle machine; the wait allows for a loaded one. */
const LIVE_WAIT = WAIT;
const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');
const SHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';

let tp: TestPlatform;
let browser: Browser;
let base: string;
const devices = new Map<string, MqttClient>();

/** Demo-like fleet: several domains and departments across 广州's districts. */
const FLEET = [
  { id: 'air-th-001', name: '天河空气站1号', domain: 'air', department: 'eco-env', region: '440106', lat: 23.125, lon: 113.361 },
  { id: 'air-yx-002', name: '越秀空气站2号', domain: 'air', department: 'eco-env', region: '440104', lat: 23.129, lon: 113.266 },
  { id: 'water-pz-001', name: '珠江猎德断面', domain: 'water', department: 'eco-env', region: '440106', lat: 23.115, lon: 113.33 },
  { id: 'rsv-ch-001', name: '流溪河水库', domain: 'reservoir', department: 'water', region: '440117', lat: 23.76, lon: 113.78 },
  { id: 'soil-zc-001', name: '增城墒情站', domain: 'soil', department: 'agri', region: '440118', lat: 23.29, lon: 113.83 },
  { id: 'fire-hd-001', name: '花都森林防火监测点', domain: 'forest_fire', department: 'forestry', region: '440114', lat: 23.45, lon: 113.22 },
] as const;

async function publish(id: string, values: Record<string, number>, ts = Date.now()): Promise<void> {
  const client = devices.get(id)!;
  await client.publishAsync(`shanshui/v1/${id}/up/readings`, JSON.stringify({ seq: Math.floor(ts / 1000) % 1_000_000, ts, values }), { qos: 1 });
}

const marker = (page: Page, id: string): Promise<{ color: string | null; rendered: boolean }> =>
  page.evaluate((sid) => (globalThis as unknown as { shanshui: { marker(id: string): { color: string | null; rendered: boolean } } }).shanshui.marker(sid), id);
const stationIds = (page: Page): Promise<string[]> => page.evaluate(() => (globalThis as unknown as { shanshui: { stationIds(): string[] } }).shanshui.stationIds().sort());

/** Clicks a station's marker where the map draws it. */
async function clickStation(page: Page, lon: number, lat: number): Promise<void> {
  const box = (await page.getByTestId('map').boundingBox())!;
  const p = await page.evaluate(([x, y]) => (globalThis as unknown as { shanshui: { view: { map: { project(c: [number, number]): { x: number; y: number } } } } }).shanshui.view.map.project([x!, y!]), [lon, lat]);
  await page.mouse.click(box.x + p.x, box.y + p.y);
}

beforeAll(async () => {
  tp = await startTestPlatform({ staleCheckIntervalMs: 60_000 });
  base = `http://127.0.0.1:${tp.platform.httpPort}`;
  for (const s of FLEET) {
    const cred = await tp.register(s);
    devices.set(s.id, await tp.connect(cred.username, cred.password));
  }
  await publish('air-th-001', { pm25: 30, pm10: 50, no2: 20, temperature: 21.5 }, Date.now() - 3_600_000);
  await publish('air-th-001', { pm25: 32, pm10: 52, no2: 22, temperature: 22 }, Date.now() - 1_800_000);
  await publish('air-th-001', { pm25: 35, pm10: 55, no2: 25, temperature: 22.5 });
  await publish('air-yx-002', { pm25: 20, pm10: 40 });
  await publish('water-pz-001', { ph: 7.4, do: 6.2, codmn: 3.1, nh3n: 0.4 });
  await publish('soil-zc-001', { moisture_rel: 55 });
  await publish('rsv-ch-001', { water_level: 230.5 });
  const users = [
    { name: 'duty', displayName: '值班员王五', password: 'emergency centre duty', role: 'operator', departments: '*' },
    { name: 'watch', displayName: '观察员', password: 'only looking at maps', role: 'viewer', departments: '*' },
    { name: 'water-ops', displayName: '水务值班', password: 'water department pass', role: 'operator', departments: ['water'] },
  ];
  for (const u of users) expect((await tp.api('POST', '/api/v1/users', u)).status).toBe(201);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await tp?.close();
});

test('sign in: a wrong password is refused on the page; the right one shows every station in scope, no script errors', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.locator('input[name="username"]').fill('duty');
  await page.locator('input[name="password"]').fill('not the password');
  await page.locator('form[data-testid="sign-in"] button[type="submit"]').click();
  await expect.poll(() => page.getByTestId('sign-in-error').textContent(), WAIT).toMatch(/用户名或密码错误/);
  if (SHOTS) await page.screenshot({ path: path.join(DOCS, 'web-sign-in.png') });
  await context.close();

  const { page: map, problems, context: c2 } = await signIn(browser, base, 'duty', 'emergency centre duty');
  expect(await stationIds(map)).toEqual(FLEET.map((s) => s.id).sort());
  await expect.poll(() => map.getByTestId('station-count').textContent(), WAIT).toMatch(/6\/6/);
  expect(await map.getByTestId('who').textContent()).toContain('值班员王五');
  // Stations that have reported are drawn in the normal colour; the fire watch point never reported: grey.
  await expect.poll(() => marker(map, 'air-yx-002'), WAIT).toMatchObject({ color: '#1a9850' });
  expect((await marker(map, 'fire-hd-001')).color).toBe('#9e9e9e');
  expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
  await c2.close();
});

test('filter by domain: only that domain stays on the map', async () => {
  const { page, context } = await signIn(browser, base, 'watch', 'only looking at maps');
  await page.getByTestId('filter-domain').selectOption('air');
  await expect.poll(() => stationIds(page), WAIT).toEqual(['air-th-001', 'air-yx-002']);
  await page.getByTestId('filter-domain').selectOption('');
  await page.getByTestId('filter-department').selectOption('water');
  await expect.poll(() => stationIds(page), WAIT).toEqual(['rsv-ch-001']);
  await context.close();
});

test('live: a reading over a threshold from a real MQTT client turns the marker and the list without a reload', async () => {
  const { page, context } = await signIn(browser, base, 'duty', 'emergency centre duty');
  await expect.poll(() => page.getByTestId('live-state').getAttribute('class'), WAIT).toContain('on');
  expect(await page.locator('[data-station="air-yx-002"]').count()).toBe(0);
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  // PM2.5 200 μg/m³ → IAQI 250, 重度污染 → the default AQI rule's orange warning.
  await publish('air-yx-002', { pm25: 200, pm10: 90 });
  await expect.poll(() => marker(page, 'air-yx-002'), LIVE_WAIT).toMatchObject({ color: '#FF7E00' });
  await expect.poll(() => page.locator('[data-station="air-yx-002"]').getAttribute('data-level'), LIVE_WAIT).toBe('orange');
  expect(navigations).toEqual([]);
  // Red sorts above orange: a worse warning elsewhere goes to the top of the list.
  await publish('air-th-001', { pm25: 300, pm10: 120 });
  await expect.poll(() => page.locator('[data-testid="warnings"] li').first().getAttribute('data-station'), LIVE_WAIT).toBe('air-th-001');
  expect(await page.locator('[data-testid="warnings"] li').first().getAttribute('data-level')).toBe('red');
  if (SHOTS) await page.screenshot({ path: path.join(DOCS, 'web-map.png') });
  await context.close();
});

test('station panel: latest values with quality, AQI classification, a 24 h chart per metric, the alert history', async () => {
  const { page, context } = await signIn(browser, base, 'duty', 'emergency centre duty');
  await page.getByTestId('filter-domain').selectOption('air');
  await page.getByTestId('filter-department').selectOption('eco-env');
  const s = FLEET[0];
  await page.evaluate(([lon, lat]) => (globalThis as unknown as { shanshui: { view: { map: { jumpTo(o: unknown): void } } } }).shanshui.view.map.jumpTo({ center: [lon, lat], zoom: 14 }), [s.lon, s.lat]);
  await expect.poll(() => marker(page, s.id), WAIT).toMatchObject({ rendered: true });
  await clickStation(page, s.lon, s.lat);
  const panel = page.getByTestId('station-panel');
  await panel.waitFor();
  expect(await panel.locator('h2').textContent()).toBe('天河空气站1号');
  await expect.poll(() => panel.locator('[data-metric="pm25"] td.num').textContent(), WAIT).toBe('300');
  expect(await panel.getByTestId('panel-classification').textContent()).toMatch(/AQI.*严重污染|AQI.*重度污染/);
  // The chart of PM2.5 over 24 h carries the readings of the last hour (three 5-min windows at least).
  await expect.poll(async () => Number(await panel.locator('svg[data-metric="pm25"]').getAttribute('data-points')), WAIT).toBeGreaterThanOrEqual(3);
  await expect.poll(() => panel.getByTestId('panel-history').textContent(), WAIT).toMatch(/AQI/);
  expect(await panel.getByTestId('command-form').count()).toBe(1);
  if (SHOTS) await page.screenshot({ path: path.join(DOCS, 'web-station-panel.png') });
  await context.close();
  // A viewer gets no command form.
  const viewer = await signIn(browser, base, 'watch', 'only looking at maps');
  await viewer.page.evaluate(([lon, lat]) => (globalThis as unknown as { shanshui: { view: { map: { jumpTo(o: unknown): void } } } }).shanshui.view.map.jumpTo({ center: [lon, lat], zoom: 14 }), [s.lon, s.lat]);
  await expect.poll(() => marker(viewer.page, s.id), WAIT).toMatchObject({ rendered: true });
  await clickStation(viewer.page, s.lon, s.lat);
  await viewer.page.getByTestId('station-panel').locator('h2').waitFor();
  expect(await viewer.page.getByTestId('command-form').count()).toBe(0);
  expect(await viewer.page.locator('button.ack').count()).toBe(0);
  await viewer.context.close();
});

test('a Grafana marker\'s link (/?station=ID) opens the page on that station\'s panel', async () => {
  const { page, context } = await signIn(browser, base, 'watch', 'only looking at maps');
  await page.goto(`${base}/?station=rsv-ch-001`);
  await expect.poll(() => page.getByTestId('station-panel').locator('h2').textContent(), WAIT).toBe('流溪河水库');
  await context.close();
});

test('acknowledge from the list: the alert shows who, and the audit log names the person and the role', async () => {
  await publish('water-pz-001', { ph: 7.2, do: 1.5, nh3n: 2.5 });
  const { page, context } = await signIn(browser, base, 'duty', 'emergency centre duty');
  const row = page.locator('[data-testid="warnings"] li[data-station="air-yx-002"]');
  await row.waitFor();
  const alertId = (await row.getAttribute('data-alert'))!;
  await row.locator('button.ack').click();
  await expect.poll(() => row.getAttribute('class'), WAIT).toContain('state-acknowledged');
  expect(await row.textContent()).toContain('duty（值班员王五）');
  const alert = (await tp.api('GET', `/api/v1/alerts/${alertId}`)).body.alert;
  expect(alert.state).toBe('acknowledged');
  expect(alert.acknowledgedBy).toBe('duty（值班员王五）');
  const audit = (await tp.api('GET', '/api/v1/audit?limit=50')).body.items as Array<{ actorId: string; actorName: string; actorRole: string; route: string; target: string }>;
  const entry = audit.find((e) => e.route === '/api/v1/alerts/:id/ack' && e.target === alertId);
  expect(entry).toMatchObject({ actorId: 'user:duty', actorName: 'duty', actorRole: 'operator' });
  await context.close();
});

test('department scope: a water user never sees another department’s stations, on the map or on the live stream', async () => {
  const { page, context } = await signIn(browser, base, 'water-ops', 'water department pass');
  expect(await stationIds(page)).toEqual(['rsv-ch-001']);
  const warned = await page.locator('[data-testid="warnings"] li[data-station]').evaluateAll((els) => els.map((e) => e.getAttribute('data-station')));
  expect(warned).toEqual([]);
  // A second stream of our own in the page records everything it is sent.
  await page.evaluate(() => {
    const got: string[] = [];
    (globalThis as unknown as { got: string[] }).got = got;
    const es = new EventSource('/app/live');
    for (const type of ['reading', 'alert', 'presence']) es.addEventListener(type, (e) => got.push((e as unknown as { data: string }).data));
    return new Promise<void>((resolve) => es.addEventListener('hello', () => resolve()));
  });
  // eco-env first, then water: the stream keeps the platform's order, so once the water reading is there, an eco-env one would have been too.
  await publish('air-th-001', { pm25: 310 });
  await publish('air-yx-002', { pm25: 220 });
  await publish('rsv-ch-001', { water_level: 231 });
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { got: string[] }).got.some((d) => d.includes('rsv-ch-001'))), WAIT).toBe(true);
  const got = await page.evaluate(() => (globalThis as unknown as { got: string[] }).got);
  expect(got.join('\n')).not.toMatch(/air-th-001|air-yx-002|eco-env/);
  expect(await stationIds(page)).toEqual(['rsv-ch-001']);
  // The API behind the page is scoped the same way.
  const feed = await page.evaluate(() => fetch('/api/v1/map.geojson').then((r) => r.json() as Promise<{ features: Array<{ id: string }> }>));
  expect(feed.features.map((f) => f.id)).toEqual(['rsv-ch-001']);
  await context.close();
});

test('offline: the page asks nothing of any other host, draws the bundled boundaries of every province, and carries a CSP without inline scripts', async () => {
  const foreign: string[] = [];
  const { page, context } = await signIn(browser, base, 'watch', 'only looking at maps', undefined, async (c) => {
    await c.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
      foreign.push(url);
      return route.abort();
    });
  });
  await expect
    .poll(() => page.evaluate(() => (globalThis as unknown as { shanshui: { view: { map: { querySourceFeatures(s: string): unknown[] } } } }).shanshui.view.map.querySourceFeatures('boundaries').length), WAIT)
    .toBeGreaterThan(0);
  // The whole country, not only the demo's province: every provincial-level division is drawn —
  // seen over all of China, and 香港 and 澳门 (smaller than a pixel there) at the Pearl River delta.
  const drawn = new Set<string>();
  const provincesAt = async (center: [number, number], zoom: number): Promise<number> => {
    const codes = await page.evaluate(
      ([c, z]) => {
        const map = (globalThis as unknown as { shanshui: { view: { map: { jumpTo(o: unknown): void; querySourceFeatures(s: string, o: unknown): Array<{ properties: { code: string } }> } } } }).shanshui.view.map;
        map.jumpTo({ center: c, zoom: z });
        // Each city's outline carries its province's code.
        return map.querySourceFeatures('boundaries', { filter: ['==', ['get', 'level'], 'city'] }).map((f) => f.properties.code);
      },
      [center, zoom] as const,
    );
    for (const c of codes) drawn.add(c);
    return drawn.size;
  };
  await expect.poll(() => provincesAt([105, 30], 2.6), WAIT).toBeGreaterThanOrEqual(32);
  if (SHOTS) await page.screenshot({ path: path.join(DOCS, 'web-offline-china.png') });
  await expect.poll(() => provincesAt([113.9, 22.3], 8), WAIT).toBe(34);
  expect(foreign).toEqual([]);
  // Light on the wire: the boundaries (and the bundle) go gzipped to a browser that accepts it.
  const geo = await fetch(`${base}/assets/boundaries.geojson`, { headers: { 'accept-encoding': 'gzip' } });
  expect(geo.headers.get('content-encoding')).toBe('gzip');
  expect(((await geo.json()) as { features: unknown[] }).features.length).toBeGreaterThan(300);
  const res = await fetch(`${base}/`);
  const csp = res.headers.get('content-security-policy')!;
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toMatch(/script-src[^;]*unsafe/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  await context.close();
});

test('API explorer: Swagger UI at /docs shows the platform\'s OpenAPI document, with no inline script allowed', async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const res = await page.goto(`${base}/docs`);
  const csp = (await res!.allHeaders())['content-security-policy']!;
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(csp).toContain("frame-ancestors 'none'");
  await page.locator('.opblock').first().waitFor();
  expect(await page.locator('.opblock-summary-path', { hasText: '/api/v1/map.geojson' }).count()).toBe(1);
  expect(errors).toEqual([]);
  await context.close();
});

test('phone: the map and the warnings list fit a narrow screen', async () => {
  const { page, context } = await signIn(browser, base, 'duty', 'emergency centre duty', { width: 390, height: 844 });
  const map = (await page.getByTestId('map').boundingBox())!;
  const list = (await page.getByTestId('warnings').boundingBox())!;
  expect(map.width).toBeLessThanOrEqual(390);
  expect(list.y).toBeGreaterThan(map.y);
  if (SHOTS) await page.screenshot({ path: path.join(DOCS, 'web-phone.png') });
  await context.close();
});

test('sign out: the session ends, the API refuses its cookie, the page shows the sign-in form', async () => {
  const { page, context } = await signIn(browser, base, 'watch', 'only looking at maps');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'shanshui_session')!;
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  await page.locator('button.sign-out').click();
  await page.getByTestId('sign-in').waitFor();
  const res = await fetch(`${base}/api/v1/map.geojson`, { headers: { cookie: `shanshui_session=${session.value}` } });
  expect(res.status).toBe(401);
  await context.close();
});
