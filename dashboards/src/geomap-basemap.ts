/**
 * The Geomap basemap of every dashboard, chosen per deployment by Grafana's own configuration
 * rather than in the dashboard JSON (which carries no environment variables): the dashboards
 * use Grafana's default base layer, and `GF_GEOMAP_DEFAULT_BASELAYER_CONFIG` (Grafana's
 * `[geomap] default_baselayer_config`) says what that is —
 *   tianditu  天地图 vector tiles with the deployment's `tk` key (the approved map source in China),
 *   xyz       any XYZ tile server, e.g. an intranet one on 政务外网,
 *   none      no tiles at all: markers on a plain background, nothing fetched (an isolated network;
 *             the platform's own page at / draws administrative boundaries from its bundle).
 * `GF_GEOMAP_ENABLE_CUSTOM_BASELAYERS=false` keeps users from switching to an online default.
 * `npm run grafana-basemap -w dashboards -- tianditu KEY` prints the line for `.env`.
 */
export type GeomapBasemapKind = 'none' | 'tianditu' | 'xyz';

export interface GeomapBaselayer {
  readonly type: 'xyz';
  readonly name: string;
  readonly config: { readonly url: string; readonly attribution: string };
}

/** Grafana's base layer config for a kind; `arg` is the 天地图 key or the XYZ URL template. */
export function geomapBaselayer(kind: GeomapBasemapKind, arg = ''): GeomapBaselayer {
  switch (kind) {
    case 'tianditu':
      if (!/^[A-Za-z0-9]{8,64}$/.test(arg)) throw new Error('tianditu: give the deployment\'s 天地图 key (tk)');
      return {
        type: 'xyz',
        name: '天地图',
        config: {
          url: `https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${arg}`,
          attribution: '天地图 tianditu.gov.cn',
        },
      };
    case 'xyz':
      if (!/^https?:\/\/[^\s]+\{z\}[^\s]*$/.test(arg) || !arg.includes('{x}') || !arg.includes('{y}')) throw new Error('xyz: give an http(s) URL template with {z}, {x} and {y}');
      return { type: 'xyz', name: '底图', config: { url: arg, attribution: '' } };
    case 'none':
      // A tile URL that never leaves the browser: an empty image for every tile.
      return { type: 'xyz', name: '无底图', config: { url: 'data:,', attribution: '' } };
  }
}

/** The `.env` lines for docker-compose. */
export function grafanaBasemapEnv(kind: GeomapBasemapKind, arg = ''): string {
  return `GRAFANA_BASEMAP_CONFIG='${JSON.stringify(geomapBaselayer(kind, arg))}'\n`;
}
