/**
 * Every `/api/v1` route documents itself in its fastify `schema` — `summary`, one tag, and the
 * zod schemas of its `params`, `querystring`, `body` and `response` (fastify-type-provider-zod
 * validates the request with them and types the handler from them) — and lists in
 * `config.errors` the error answers it gives beyond the common ones. An onRoute hook refuses a
 * route without that (the API is not built), and keeps the table of documented routes that
 * the contract test calls. @fastify/swagger makes the OpenAPI document from the same schemas
 * (openapi-transform.ts).
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

/** Error answers a route gives beyond the common ones (400 bad input, 401/403/429 auth, 500), by status, with when. */
export type RouteErrors = Readonly<Record<number, string>>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error answers beyond the common ones, by status: when they happen and with which code (documented in the OpenAPI document). */
    errors?: RouteErrors;
  }
  interface FastifySchema {
    /** One line: what the route does (OpenAPI `summary`). Required on every /api/v1 route. */
    summary?: string;
    description?: string;
    /** The group of the route (one OpenAPI tag), e.g. ['stations']. */
    tags?: readonly string[];
    /** Not in the OpenAPI document (@fastify/swagger). */
    hide?: boolean;
  }
}

/** Success answers by status: a zod schema, or the content type and schema of a body that is not plain JSON; `z.null()` = no body. */
export type DocumentedResponse = z.ZodType | { readonly content: Readonly<Record<string, { readonly schema: z.ZodType }>> };

export interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly permission: RoutePermission;
  /** The route's answers by status, as its schema declares them. */
  readonly responses: Readonly<Record<string, DocumentedResponse>>;
}

const docTables = new WeakMap<FastifyInstance, DocumentedRoute[]>();

/** The zod schema of one documented answer (a content-typed one: its first content type's). */
export function responseSchemaOf(response: DocumentedResponse): z.ZodType {
  if (response instanceof z.ZodType) return response;
  const first = Object.values(response.content)[0];
  if (!first) throw new Error('a response with no content type');
  return first.schema;
}

/** A documented answer without a body (204: `z.null()`). */
export function hasNoBody(response: DocumentedResponse): boolean {
  return response instanceof z.ZodNull;
}

/** Installs the hook; call before any route is registered (after installAuth, which checks the permission). */
export function installRouteDocs(app: FastifyInstance): void {
  const table: DocumentedRoute[] = [];
  docTables.set(app, table);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (!url.startsWith('/api/v1/')) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    const schema = route.schema;
    const response = (schema?.response ?? {}) as Record<string, DocumentedResponse>;
    if (!schema?.summary || schema.tags?.length !== 1 || !Object.keys(response).some((s) => /^2\d\d$/.test(s))) {
      throw new Error(`route ${methods.join(',')} ${url} has no documentation (schema: { summary, tags: [tag], response: { 2xx: … } })`);
    }
    const permission = route.config?.permission ?? 'public';
    for (const method of methods) table.push({ method, url, permission, responses: response });
  });
}

/** The documented `/api/v1` routes, in registration order. */
export function routeDocsOf(app: FastifyInstance): readonly DocumentedRoute[] {
  return docTables.get(app) ?? [];
}
