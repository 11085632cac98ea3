/**
 * GET /app/live — the web app's live feed as Server-Sent Events (the page's own endpoint,
 * outside the `/api/v1` contract). Authenticated like the API (session cookie, or a bearer
 * token for scripts) and scoped to the caller's departments: a station outside the scope never
 * appears on the stream.
 *   event: alert    {alert, event}          an alert fired, escalated, was acknowledged or resolved
 *   event: reading  {stationId, values}     the latest values of a station (one message per durable message)
 *   event: presence {stationId, online}
 * A comment line every `heartbeatMs` keeps proxies from closing the stream; a signed-out or
 * expired session ends it at the next heartbeat.
 */
import type { ApiPlugin } from './api-plugin.ts';
import type { Reading, Station } from '@shanshui/models';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { UserStore } from '../auth/user-store.ts';
import type { PlatformEvents } from '../platform-events.ts';
import { coversDepartment } from '../auth/principal.ts';
import { principalOf } from './request-auth.ts';
import { sessionSecretOf } from './session-cookie.ts';

export interface LiveRouteOptions {
  /** The platform's events: 'readingsDurable', 'alert', 'presence'. */
  readonly events: PlatformEvents;
  readonly station: (id: string) => Station | undefined;
  readonly users: UserStore;
  /** Default 15000. */
  readonly heartbeatMs?: number;
}

export const liveRoutes: ApiPlugin<LiveRouteOptions> = async (app, deps) => {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  app.get('/app/live', { config: { permission: 'stations:read' } }, async (req, reply) => {
    const principal = principalOf(req);
    const secret = sessionSecretOf(req);
    const sees = (department: string): boolean => coversDepartment(principal, department);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const onAlert = (e: { alert: Alert; event: AlertEvent }): void => {
      if (sees(e.alert.department)) send('alert', e);
    };
    const onReadings = (e: { station: Station; readings: readonly Reading[] }): void => {
      if (!sees(e.station.department)) return;
      const values: Record<string, { value: number; quality: string; time: string }> = {};
      for (const r of e.readings) {
        for (const [metric, v] of Object.entries(r.values)) values[metric] = { value: v.v, quality: v.q, time: new Date(r.ts).toISOString() };
      }
      send('reading', { stationId: e.station.id, values });
    };
    const onPresence = (e: { deviceId: string; online: boolean }): void => {
      const station = deps.station(e.deviceId);
      if (station && sees(station.department)) send('presence', { stationId: e.deviceId, online: e.online });
    };
    deps.events.on('alert', onAlert);
    deps.events.on('readingsDurable', onReadings);
    deps.events.on('presence', onPresence);
    const heartbeat = setInterval(() => {
      void (async () => {
        if (secret !== undefined && !(await deps.users.session(secret))) {
          send('signed-out', {});
          res.end();
          return;
        }
        res.write(': keep-alive\n\n');
      })().catch(() => res.destroy());
    }, heartbeatMs);
    const stop = (): void => {
      clearInterval(heartbeat);
      deps.events.off('alert', onAlert);
      deps.events.off('readingsDurable', onReadings);
      deps.events.off('presence', onPresence);
    };
    res.on('close', stop);
    res.write(`retry: 2000\n`);
    send('hello', { user: principal.name, role: principal.role, departments: principal.departments });
  });
};
