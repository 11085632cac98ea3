/** True when an alert event passes a subscription's filters. */
import { warningLevelRank } from '@shanshui/models';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { Subscription } from './subscription-schema.ts';

export function subscriptionMatches(sub: Subscription, alert: Alert, event: AlertEvent): boolean {
  const f = sub.filters;
  if (!sub.enabled) return false;
  if (f.departments && !f.departments.includes(alert.department)) return false;
  if (f.domains && !(f.domains as readonly string[]).includes(alert.domain)) return false;
  if (f.regions && !f.regions.some((r) => alert.region.startsWith(r))) return false;
  if (f.events && !f.events.includes(event.type)) return false;
  // A resolution or acknowledgement concerns an alert at its (highest) level: same threshold.
  return warningLevelRank(event.level) >= warningLevelRank(f.minLevel);
}
