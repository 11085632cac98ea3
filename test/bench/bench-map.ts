/**
 * The 一张图 with 10,000 stations in a real browser (Debian's chromium, software WebGL: no GPU
 * here): time from sign-in to every station on the map, and frame times while panning — at the
 * overview (clusters) and at city zoom (single markers) — against a peer measured in the same
 * run: the same page with 1,000 stations (another user's department scope on the same
 * platform). Each configuration runs `runs` times in a fresh page; the spread is reported.
 * A long frame is one over 50 ms (the Long Tasks threshold).
 * Live: in each page, a real MQTT client publishes a reading that crosses a threshold (PM2.5 200
 * μg/m³ → the default AQI rule's orange warning) for a station of that page's scope that had no
 * warning; the delay is from just before the publish until the page shows both the station's
 * orange colour and its row in the warnings list (checked every 10 ms in the page, on the same
 * clock). Goal: within 2 s.
 */
import { startTestPlatform } from '../support/test-platform.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { seededRandom } from '@shanshui/models/testing';
import type { MqttClient } from 'mqtt';
import { progress } from './progress.ts';

export interface MapBenchOptions {
  /** Stations in all. Default 10000. */
  readonly stations: number;
  /** Stations the peer user sees (one department of them). Default 1000. */
  readonly peerStations: number;
  /** Runs per configuration. Default 3. */
  readonly runs: number;
  /** Frames per pan. Default 120. */
  readonly panFrames: number;
}

export interface MapBenchRun {
  readonly stations: number;
  /** Sign-in submitted → every station in the map's data and the map idle. */
  readonly loadMs: number;
  readonly overview: FrameStats;
  readonly city: FrameStats;
  /** Publish of a reading over a threshold → marker and warnings list changed in the page, ms. */
  readonly liveMs: number;
}

export interface FrameStats {
  readonly frames: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Frames over 50 ms. */
  readonly longFrames: number;
}

export interface MapBenchResult {
  readonly options: MapBenchOptions;
  readonly runs: readonly MapBenchRun[];
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

function stats(frames: readonly number[]): FrameStats {
  return { frames: frames.length, p50Ms: quantile(frames, 0.5), p95Ms: quantile(frames, 0.95), maxMs: Math.max(...frames), longFrames: frames.filter((f) => f > 50).length };
}

interface BenchWindow {
  shanshui: {
    stationIds(): string[];
    view: { map: { jumpTo(o: unknown): void; panBy(offset: [number, number], o: unknown): void; once(e: string, f: () => void): void; loaded(): boolean; areTilesLoaded(): boolean } };
  };
}

export async function benchMap(options: Partial<MapBenchOptions> = {}): Promise<MapBenchResult> {
  const o: MapBenchOptions = { stations: 10_000, peerStations: 1000, runs: 3, panFrames: 120, ...options };
  const tp = await startTestPlatform({ demoStations: 0, staleCheckIntervalMs: 600_000 });
  const browser = await launchBrowser();
  try {
    progress(`map: registering ${o.stations} stations`);
    const random = seededRandom(14);
    const domains = ['air', 'water', 'soil', 'reservoir', 'forest_fire', 'agriculture'] as const;
    for (let i = 0; i < o.stations; i++) {
      // Across 广东 (lon 110–117, lat 20.5–25.5), denser around 广州.
      const near = random() < 0.5;
      const lon = near ? 113.0 + random() * 1.0 : 110 + random() * 7;
      const lat = near ? 22.8 + random() * 1.0 : 20.5 + random() * 5;
      await tp.platform.registry.register({
        id: `bench-${i}`,
        name: `站点 ${i}`,
        domain: domains[i % domains.length]!,
        lat: Math.round(lat * 1e5) / 1e5,
        lon: Math.round(lon * 1e5) / 1e5,
        region: '440100',
        department: i < o.peerStations ? 'bench-peer' : 'bench-rest',
      });
    }
    // One station per page and run that goes from no warning to orange while the page is open, with its own MQTT client.
    const live = new Map<string, MqttClient>();
    for (let r = 0; r < o.runs; r++) {
      for (const department of ['bench-rest', 'bench-peer']) {
        const id = `live-${department}-${r}`;
        const cred = await tp.register({ id, name: `实时站 ${r}`, domain: 'air', lat: 23.1 + r * 0.01, lon: 113.3, region: '440100', department });
        live.set(id, await tp.connect(cred.username, cred.password));
      }
    }
    await tp.api('POST', '/api/v1/users', { name: 'all', password: 'bench all stations', role: 'viewer', departments: '*' });
    await tp.api('POST', '/api/v1/users', { name: 'peer', password: 'bench peer stations', role: 'viewer', departments: ['bench-peer'] });
    const base = `http://127.0.0.1:${tp.platform.httpPort}`;
    const runs: MapBenchRun[] = [];
    for (let r = 0; r < o.runs; r++) {
      for (const [user, password, expected] of [
        ['all', 'bench all stations', o.stations],
        ['peer', 'bench peer stations', o.peerStations],
      ] as const) {
        const started = performance.now();
        const { page, context } = await signIn(browser, base, user, password, { width: 1920, height: 1080 });
        // The page also shows the live stations of its scope (one per run; 'all' sees both departments').
        const shown = expected + (user === 'all' ? 2 : 1) * o.runs;
        await page.waitForFunction((n) => (globalThis as unknown as BenchWindow).shanshui.stationIds().length === n, shown);
        // 'idle' fires only after a render: ask for one, or a map that is already idle would never answer.
        await page.evaluate(
          () =>
            new Promise<void>((resolve) => {
              const map = (globalThis as unknown as BenchWindow & { shanshui: { view: { map: { triggerRepaint(): void } } } }).shanshui.view.map;
              map.once('idle', () => resolve());
              map.triggerRepaint();
            }),
        );
        const loadMs = performance.now() - started;
        const pan = (center: [number, number], zoom: number): Promise<number[]> =>
          page.evaluate(
            ([c, z, n]) =>
              new Promise<number[]>((resolve) => {
                const g = globalThis as unknown as BenchWindow & { requestAnimationFrame(f: (t: number) => void): void };
                const map = g.shanshui.view.map;
                map.jumpTo({ center: c, zoom: z });
                map.once('idle', () => {
                  const frames: number[] = [];
                  let last = performance.now();
                  const tick = (t: number): void => {
                    frames.push(t - last);
                    last = t;
                    if (frames.length >= (n as number)) return resolve(frames.slice(1));
                    map.panBy([(frames.length % 60 < 30 ? 1 : -1) * 25, 8], { duration: 0 });
                    g.requestAnimationFrame(tick);
                  };
                  g.requestAnimationFrame(tick);
                });
              }),
            [center, zoom, o.panFrames] as const,
          );
        const overview = stats(await pan([113.3, 23.1], 7));
        const city = stats(await pan([113.3, 23.1], 12));
        const liveId = `live-${user === 'all' ? 'bench-rest' : 'bench-peer'}-${r}`;
        await page.locator('[data-testid="live-state"].on').waitFor();
        const watching = page.evaluate(
          (id) =>
            new Promise<number>((resolve) => {
              const g = globalThis as unknown as { shanshui: { marker(id: string): { color: string | null } }; document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } };
              const timer = setInterval(() => {
                const row = g.document.querySelector(`[data-testid="warnings"] li[data-station="${id}"]`);
                if (row?.getAttribute('data-level') === 'orange' && g.shanshui.marker(id).color === '#FF7E00') {
                  clearInterval(timer);
                  resolve(performance.timeOrigin + performance.now());
                }
              }, 10);
            }),
          liveId,
        );
        const publishedAt = performance.timeOrigin + performance.now();
        await live.get(liveId)!.publishAsync(`shanshui/v1/${liveId}/up/readings`, JSON.stringify({ seq: 1, ts: Date.now(), values: { pm25: 200, pm10: 90 } }), { qos: 1 });
        const liveMs = (await watching) - publishedAt;
        runs.push({ stations: expected, loadMs, overview, city, liveMs });
        progress(`map: ${expected} stations — load ${Math.round(loadMs)} ms, pan p95 ${overview.p95Ms.toFixed(1)} / ${city.p95Ms.toFixed(1)} ms, long frames ${overview.longFrames + city.longFrames}, live ${Math.round(liveMs)} ms`);
        await context.close();
      }
    }
    for (const client of live.values()) await client.endAsync();
    return { options: o, runs };
  } finally {
    await browser.close();
    await tp.close();
  }
}

const spread = (xs: readonly number[], digits = 0): string => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
};

/** The 一张图 section of docs/benchmarks.md. */
export function renderMapMarkdown(r: MapBenchResult, measured?: string): string {
  const of = (n: number): MapBenchRun[] => r.runs.filter((x) => x.stations === n);
  const all = of(r.options.stations);
  const peer = of(r.options.peerStations);
  const median = (xs: readonly number[]): number => quantile(xs, 0.5);
  const ratio = (f: (x: MapBenchRun) => number): string => (median(all.map(f)) / Math.max(1e-9, median(peer.map(f)))).toFixed(2);
  const row = (label: string, f: (x: MapBenchRun) => number, digits = 0): string => `| ${label} | ${spread(all.map(f), digits)} | ${spread(peer.map(f), digits)} | ${ratio(f)} |`;
  return [
    '## 一张图: 10,000 stations in the browser',
    '',
    ...(measured ? [`${measured}.`, ''] : []),
    `Debian's chromium (headless, software WebGL — no GPU), 1920×1080, ${r.options.runs} runs of each in a fresh page; ${r.options.stations.toLocaleString('en')} stations against the peer: the same page showing ${r.options.peerStations.toLocaleString('en')} (another user's department scope on the same platform). Pan: ${r.options.panFrames} frames of 25 px steps, at the overview (zoom 7, clusters) and at city zoom (12, single markers). A long frame is one over 50 ms. Ranges are min–max over the runs; the ratio compares medians.`,
    '',
    `| | ${r.options.stations.toLocaleString('en')} stations | ${r.options.peerStations.toLocaleString('en')} stations (peer) | ratio |`,
    '| --- | --- | --- | --- |',
    row('sign-in → all stations drawn, ms', (x) => x.loadMs),
    row('overview pan: frame p50, ms', (x) => x.overview.p50Ms, 1),
    row('overview pan: frame p95, ms', (x) => x.overview.p95Ms, 1),
    row('overview pan: long frames', (x) => x.overview.longFrames),
    row('city pan: frame p95, ms', (x) => x.city.p95Ms, 1),
    row('city pan: long frames', (x) => x.city.longFrames),
    row('live: reading over a threshold → marker and list changed, ms (goal ≤ 2,000)', (x) => x.liveMs),
    '',
    `Live: a real MQTT client publishes PM2.5 200 μg/m³ (→ the default AQI rule's orange warning) for a station of the page's scope that had no warning; measured from just before the publish until the page shows the orange marker and the station's row in the warnings list (polled every 10 ms in the page, same clock), one fresh station per run. Worst of ${all.length + peer.length} runs: ${Math.round(Math.max(...r.runs.map((x) => x.liveMs))).toLocaleString('en')} ms — ${Math.max(...r.runs.map((x) => x.liveMs)) <= 2000 ? 'within' : 'over'} the 2 s goal.`,
    '',
    'Run it alone: `npm run bench -- --only=map` (`--write` puts this section into docs/benchmarks.md).',
    '',
  ].join('\n');
}

export const MAP_SECTION_START = '<!-- map-bench -->';
export const MAP_SECTION_END = '<!-- /map-bench -->';

/** `doc` with its map section replaced (or appended). */
export function spliceMapSection(doc: string, section: string): string {
  const block = `${MAP_SECTION_START}\n${section}${MAP_SECTION_END}\n`;
  const a = doc.indexOf(MAP_SECTION_START);
  const b = doc.indexOf(MAP_SECTION_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + MAP_SECTION_END.length + 1);
  return `${doc.trimEnd()}\n\n${block}`;
}
