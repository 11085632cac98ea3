/** `npm run grafana-basemap -w dashboards -- none | tianditu KEY | xyz URL`: the `.env` line choosing Grafana's Geomap basemap. */
import { grafanaBasemapEnv } from './geomap-basemap.ts';
import type { GeomapBasemapKind } from './geomap-basemap.ts';

const USAGE = "usage: npm run grafana-basemap -w dashboards -- none | tianditu KEY | xyz 'http://tiles.local/{z}/{x}/{y}.png'\n  prints the .env line (GRAFANA_BASEMAP_CONFIG) choosing Grafana's Geomap basemap\n";
const [kind = 'none', arg = ''] = process.argv.slice(2);
if (kind === '--help' || kind === '-h') {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!['none', 'tianditu', 'xyz'].includes(kind)) {
  process.stderr.write(USAGE);
  process.exit(2);
}
process.stdout.write(grafanaBasemapEnv(kind as GeomapBasemapKind, arg));
