/**
 * Every `/api/v1` route documents itself next to its permission:
 * `config: { permission, doc: { summary, tag, params, query, body, responses } }`, with the very
 * zod schemas the handler parses with. An onRoute hook refuses a route without a `doc` (the API
 * is not built), and keeps the table the OpenAPI document (openapi-document.ts) is made from.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RoutePermission } from '../auth/permissions.ts';
import { API_ERRORS } from './api-errors.ts';
import type { ApiErrorCode } from './api-errors.ts';

/** The one error shape of the API (http-error.ts), its codes those of the catalogue (api-errors.ts). */
export const ErrorBodySchema = z
  .object({
    error: z
      .object({
        code: z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]).describe('machine code from the catalogue (docs/api-errors.md), e.g. API_ERR_VALIDATION'),
        message: z.string().describe('what went wrong, for a human'),
        field: z.string().optional().describe('the request part to blame, when one is: a query or path parameter, or a body path such as `levels.red`'),
      })
      .strict(),
  })
  .strict()
  .describe('Every 4xx/5xx answer: { error: { code, message, field? } }');

export interface RouteDoc {
  /** One line: what the route does. */
  readonly summary: string;
  readonly description?: string;
  /** The group the route belongs to (an OpenAPI tag), e.g. 'stations'. */
  readonly tag: string;
  /** Path parameters (`:id`), as parsed by the handler. */
  readonly params?: z.ZodType;
  /** Query string, as parsed by the handler (an object schema). */
  readonly query?: z.ZodType;
  /** JSON request body, as parsed by the handler. */
  readonly body?: z.ZodType;
  /** Success answers by status; `null` = no body (204). */
  readonly responses: Readonly<Record<number, z.ZodType | null>>;
  /** Error answers this route gives beyond the common ones (400 bad input, 401/403/429 auth), with when. */
  readonly errors?: Readonly<Record<number, string>>;
  /** Content type of the success body. Default application/json. */
  readonly contentType?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's documentation (request and response schemas). Required on every /api/v1 route. */
    doc?: RouteDoc;
  }
}

export interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly permission: RoutePermission;
  readonly doc: RouteDoc;
}

const docTables = new WeakMap<FastifyInstance, DocumentedRoute[]>();

/** Installs the hook; call before any route is registered (after installAuth, which checks the permission). */
export function installRouteDocs(app: FastifyInstance): void {
  const table: DocumentedRoute[] = [];
  docTables.set(app, table);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (!url.startsWith('/api/v1/')) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    const doc = route.config?.doc;
    if (!doc || !doc.summary || Object.keys(doc.responses).length === 0) {
      throw new Error(`route ${methods.join(',')} ${url} has no documentation (config: { doc: { summary, tag, responses } })`);
    }
    const permission = route.config?.permission ?? 'public';
    for (const method of methods) table.push({ method, url, permission, doc });
  });
}

/** The documented `/api/v1` routes, in registration order. */
export function routeDocsOf(app: FastifyInstance): readonly DocumentedRoute[] {
  return docTables.get(app) ?? [];
}
