/** Every provisioned dashboard, by its file name under provisioning/dashboards/json/. */
import type { Dashboard } from './grafana-model.ts';
import { overviewDashboard } from './dashboards/overview.ts';
import { airDashboard } from './dashboards/air.ts';
import { waterDashboard } from './dashboards/water.ts';
import { soilAgricultureDashboard } from './dashboards/soil-agriculture.ts';
import { reservoirDashboard } from './dashboards/reservoir.ts';
import { forestFireDashboard } from './dashboards/forest-fire.ts';
import { platformHealthDashboard } from './dashboards/platform-health.ts';
import { geohazardDashboard, meteorologyDashboard, noiseDashboard, pollutionSourceDashboard, riverDashboard } from './dashboards/catalogue-domains.ts';

export function buildDashboards(): Record<string, Dashboard> {
  return {
    'overview.json': overviewDashboard(),
    'air.json': airDashboard(),
    'water.json': waterDashboard(),
    'soil-agriculture.json': soilAgricultureDashboard(),
    'reservoir.json': reservoirDashboard(),
    'forest-fire.json': forestFireDashboard(),
    'noise.json': noiseDashboard(),
    'pollution-source.json': pollutionSourceDashboard(),
    'river.json': riverDashboard(),
    'meteorology.json': meteorologyDashboard(),
    'geohazard.json': geohazardDashboard(),
    'platform-health.json': platformHealthDashboard(),
  };
}

/** The committed form of a dashboard: two-space JSON with a trailing newline. */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
