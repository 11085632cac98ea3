/**
 * The web app's basemap from configuration: 天地图 (WMTS tiles of the deployment's `tk` key),
 * any XYZ tile server, or none (the page draws the bundled administrative boundaries). Tile
 * URLs are outbound attack surface — a page that loads them probes whatever they name — so a
 * tile host in one of the ranges outbound webhooks never reach (loopback, private, link-local,
 * CGNAT, unique-local, multicast…: the one list in webhooks/outbound-guard.ts) is refused at
 * start unless the operator lists it in `mapTileAllowHosts` (an intranet tile server is a
 * normal, deliberate choice: list it).
 */
import { IngestError } from '../errors.ts';
import { blockedRangeOf } from '../webhooks/outbound-guard.ts';

export interface Basemap {
  readonly kind: 'none' | 'tianditu' | 'xyz';
  /** Tile URL templates ({z}/{x}/{y}). */
  readonly tiles: readonly string[];
  /** Label overlay templates (天地图's 注记 layer). */
  readonly labels: readonly string[];
  readonly attribution: string;
  /** Origins the page may load tiles from (for the CSP). */
  readonly origins: readonly string[];
}

export interface BasemapOptions {
  readonly kind: 'none' | 'tianditu' | 'xyz';
  readonly tileUrl?: string | undefined;
  readonly attribution?: string;
  readonly tiandituKey?: string | undefined;
  readonly allowHosts?: readonly string[];
}

/** Why a tile host may not be used, or null when it may. */
export function tileHostRefusal(hostname: string, allowHosts: readonly string[] = []): string | null {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowHosts.map((h) => h.toLowerCase()).includes(host)) return null;
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is loopback`;
  const range = blockedRangeOf(host);
  return range ? `${host} is a ${range} address` : null;
}

function checkTemplate(template: string, what: string, allowHosts: readonly string[]): URL {
  const url = URL.parse(template.replaceAll(/\{[a-z-]+\}/g, '0'));
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new IngestError('INGEST_ERR_CONFIG', `${what}: an http(s) URL template, got ${template}`);
  if (!/\{z\}/.test(template) || !/\{x\}/.test(template) || !/\{-?y\}/.test(template)) throw new IngestError('INGEST_ERR_CONFIG', `${what}: the template needs {z}, {x} and {y}`);
  if (url.username || url.password) throw new IngestError('INGEST_ERR_CONFIG', `${what}: no credentials in the tile URL (the page would show them to every visitor)`);
  const refusal = tileHostRefusal(url.hostname, allowHosts);
  if (refusal) throw new IngestError('INGEST_ERR_CONFIG', `${what}: ${refusal}; list the host in SHANSHUI_MAP_TILE_ALLOW_HOSTS if this tile server is meant`);
  return url;
}

/** 天地图 WMTS (Web Mercator, `_w`) as XYZ templates: vector map (vec) and its labels (cva), servers t0–t7. */
export function tiandituTemplates(key: string): { tiles: string[]; labels: string[] } {
  const wmts = (layer: string, n: number): string =>
    `https://t${n}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(key)}`;
  const servers = [0, 1, 2, 3, 4, 5, 6, 7];
  return { tiles: servers.map((n) => wmts('vec', n)), labels: servers.map((n) => wmts('cva', n)) };
}

/** Resolves and checks the configured basemap; throws INGEST_ERR_CONFIG naming the key. */
export function resolveBasemap(o: BasemapOptions): Basemap {
  const allow = o.allowHosts ?? [];
  if (o.kind === 'none') return { kind: 'none', tiles: [], labels: [], attribution: '', origins: [] };
  if (o.kind === 'tianditu') {
    if (!o.tiandituKey) throw new IngestError('INGEST_ERR_CONFIG', 'SHANSHUI_MAP_BASEMAP=tianditu needs SHANSHUI_TIANDITU_KEY (the deployment\'s 天地图 tk)');
    const t = tiandituTemplates(o.tiandituKey);
    return { kind: 'tianditu', ...t, attribution: '天地图 tianditu.gov.cn', origins: [...new Set(t.tiles.map((u) => new URL(u.replaceAll(/\{[a-z-]+\}/g, '0')).origin))] };
  }
  if (!o.tileUrl) throw new IngestError('INGEST_ERR_CONFIG', 'SHANSHUI_MAP_BASEMAP=xyz needs SHANSHUI_MAP_TILE_URL');
  const url = checkTemplate(o.tileUrl, 'SHANSHUI_MAP_TILE_URL', allow);
  return { kind: 'xyz', tiles: [o.tileUrl], labels: [], attribution: o.attribution ?? '', origins: [url.origin] };
}
