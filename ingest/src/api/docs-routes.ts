/**
 * GET /docs — the API explorer: Swagger UI (@fastify/swagger-ui, its assets served from the
 * package, nothing from a CDN) over the platform's own OpenAPI 3.1 document, the one
 * `/api/v1/openapi.json` serves (built from the routes' zod schemas). @fastify/swagger carries
 * the document to the UI: `transformObject` hands it ours instead of one of its own making.
 * The UI's pages get their own CSP (`staticCSP`: hashes of its inline initialiser), not 'unsafe-inline'.
 */
import type { FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';

export function docsRoutes(document: () => Record<string, unknown>): (app: FastifyInstance) => void {
  return (app) => {
    void app.register(fastifySwagger, { openapi: {}, transformObject: () => document() as never });
    void app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      // No outside origin (the online validator is off) and, like the map, inline styles only.
      transformStaticCSP: (header: string) =>
        header
          .replaceAll(' validator.swagger.io', '')
          .replaceAll(' https:', '')
          .replace(/style-src ([^;]*)/, (_m, v: string) => `style-src ${v.trim()} 'unsafe-inline'`)
          .replace("frame-ancestors 'self'", "frame-ancestors 'none'"),
      uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null } as never,
    });
  };
}
