/**
 * One log line per HTTP request, when its answer is sent: `GET /api/v1/stations 200 3.1 ms`, with
 * the same as fields (method, url, status, ms) for JSON logs. fastify's own request logging
 * (two lines, the second without the path) is turned off in build-api.ts. Probes (/healthz,
 * /metrics) log at debug: a scraper every 15 s would drown the rest.
 */
import type { FastifyInstance } from 'fastify';

export function logRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const fields = { method: req.method, url: req.url, status: reply.statusCode, ms, ip: req.ip };
    const line = `${req.method} ${req.url} ${reply.statusCode} ${ms} ms`;
    if (req.url === '/healthz' || req.url === '/metrics') req.log.debug(fields, line);
    else if (reply.statusCode >= 500) req.log.error(fields, line);
    else req.log.info(fields, line);
  });
}
