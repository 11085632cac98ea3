/**
 * Probes, outside /api/v1 and without a token (also on plain HTTP once TLS is on):
 * - `/livez` — the process works (answers HTTP). An InfluxDB outage is NOT a reason to restart:
 *   the spool absorbs it, and a restart would only drop the devices' connections.
 * - `/readyz` — the platform can do its whole job now: InfluxDB answers an active ping and the
 *   spool is below 90 % of its bound. 503 with the reason otherwise.
 * - `/healthz` — kept for existing monitors: the same answer as `/readyz`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface HealthRouteDeps {
  /** Readiness with its details (`ok` false → 503). */
  readonly ready: () => Promise<{ ok: boolean; [k: string]: unknown }>;
  readonly startedAt: number;
}

export function healthRoutes(deps: HealthRouteDeps): (app: FastifyInstance) => void {
  return (app) => {
    app.get('/livez', async () => ({ ok: true, pid: process.pid, uptimeSec: Math.floor((Date.now() - deps.startedAt) / 1000) }));
    const ready = async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const h = await deps.ready();
      return reply.code(h.ok ? 200 : 503).send(h);
    };
    app.get('/readyz', ready);
    app.get('/healthz', ready);
  };
}
