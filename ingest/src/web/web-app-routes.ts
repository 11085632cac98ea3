/**
 * Serves the 一张图 web app (built by @shanshui/web into its dist folder):
 *   GET /                 the page shell (index.html)
 *   GET /assets/*         the bundle, MapLibre's worker, the boundaries GeoJSON (gzipped when accepted)
 *   GET /app/config.json  basemap and display settings (signed in)
 * and the security headers of every answer (@fastify/helmet): a CSP with scripts and workers
 * from this origin only — no 'unsafe-inline' or 'unsafe-eval' script — tiles only from the
 * configured basemap's origins, and frame-ancestors 'none' (no clickjacking of the ack
 * button). Styles allow 'unsafe-inline': MapLibre positions its markers and popups with style
 * attributes.
 */
import path from 'node:path';
import fastifyPlugin from 'fastify-plugin';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { Basemap } from './basemap.ts';

export interface WebAppDeps {
  /** The built app (index.html, assets). */
  readonly distDir: string;
  readonly basemap: Basemap;
  /** A station without a reading for this long is drawn grey, ms. */
  readonly offlineAfterMs: number;
}

/** The Content-Security-Policy directives of the platform's answers. */
export function contentSecurityPolicy(basemap: Basemap): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:', ...basemap.origins],
    'connect-src': ["'self'", ...basemap.origins],
    'worker-src': ["'self'", 'blob:'],
    'font-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
}

/**
 * Not encapsulated (fastify-plugin): the security headers of @fastify/helmet are for every
 * answer of the server, the API's too, not only for the web app's routes.
 */
export const webAppRoutes = fastifyPlugin<WebAppDeps>(
  async (app, deps) => {
    await app.register(helmet, {
      // Plain HTTP stays plain (the demo, a closed network): no upgrade-insecure-requests there.
      contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(deps.basemap) },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'same-origin' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    });
    // preCompressed: the build writes a .gz beside each asset (the bundle, the boundaries), sent to browsers that accept gzip.
    await app.register(fastifyStatic, { root: path.resolve(deps.distDir), prefix: '/assets/', index: false, wildcard: true, maxAge: '1h', preCompressed: true });
    app.get('/', async (_req, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
    app.get('/index.html', async (_req, reply) => reply.redirect('/'));
    app.get('/app/config.json', { config: { permission: 'stations:read' } }, async () => ({
      basemap: { kind: deps.basemap.kind, tiles: deps.basemap.tiles, labels: deps.basemap.labels, attribution: deps.basemap.attribution },
      offlineAfterMs: deps.offlineAfterMs,
    }));
  },
  { name: 'shanshui-web-app' },
);
