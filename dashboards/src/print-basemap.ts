/** `npm run grafana-basemap -w dashboards -- none | tianditu KEY | xyz URL`: the `.env` line choosing Grafana's Geomap basemap. */
import { grafanaBasemapEnv } from './geomap-basemap.ts';
import type { GeomapBasemapKind } from './geomap-basemap.ts';

const [kind = 'none', arg = ''] = process.argv.slice(2);
if (!['none', 'tianditu', 'xyz'].includes(kind)) {
  process.stderr.write('usage: npm run grafana-basemap -w dashboards -- none | tianditu KEY | xyz URL\n');
  process.exit(2);
}
process.stdout.write(grafanaBasemapEnv(kind as GeomapBasemapKind, arg));
