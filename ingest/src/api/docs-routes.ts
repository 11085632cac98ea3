/**
 * The OpenAPI document and the API explorer, made by @fastify/swagger from the routes' own zod
 * schemas (openapi-transform.ts); registered before every route group so that it sees them all:
 * - GET /api/v1/openapi.json (public) — the OpenAPI 3.1 document of every /api/v1 route;
 * - GET /docs — Swagger UI (@fastify/swagger-ui, its assets served from the package, nothing
 *   from a CDN) over that document. The UI's pages get their own CSP (`staticCSP`: hashes of
 *   its inline initialiser), not 'unsafe-inline'.
 */
import fastifyPlugin from 'fastify-plugin';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { ApiPlugin } from './api-plugin.ts';
import type { z } from 'zod';
import { OpenApiDocumentSchema, openApiTransform, openApiTransformObject } from './openapi-transform.ts';

export interface DocsRouteOptions {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
}

const docs: ApiPlugin<DocsRouteOptions> = async (app, { info }) => {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...info },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`ssk_…`, from POST /api/v1/tokens) or the bootstrap admin token' } },
      },
    },
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });
  await app.register(fastifySwaggerUi, {
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

  let cached: ReturnType<typeof app.swagger> | undefined;
  app.get(
    '/api/v1/openapi.json',
    {
      config: { permission: 'public' },
      schema: { tags: ['platform'], summary: 'This OpenAPI 3.1 document: every /api/v1 route with its request and response schemas', response: { 200: OpenApiDocumentSchema } },
    },
    // Made once, on the first request: every route is registered by then.
    async () => (cached ??= app.swagger()) as z.output<typeof OpenApiDocumentSchema>,
  );
};

/** Not encapsulated: @fastify/swagger must see the routes of the sibling plugins registered after it. */
export const docsRoutes = fastifyPlugin(docs, { name: 'shanshui-api-docs' });
