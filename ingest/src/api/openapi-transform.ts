/**
 * How @fastify/swagger turns the routes into the OpenAPI 3.1 document of `/api/v1`:
 * fastify-type-provider-zod's transforms convert each route's zod schemas to JSON Schema
 * 2020-12 (request parts as the client sends them, answers as the platform sends them), the
 * schemas named in `API_SCHEMAS` (response-schemas.ts) becoming `components.schemas` referred
 * to by `$ref`; around them this file adds what every operation carries here: an operationId,
 * the permission (`x-permission`, `x-least-role`) and bearer security, and the error answers —
 * the common ones (400 bad input, 401/403/429 auth, 500) and the route's `config.errors` — all
 * in the one error shape. Routes outside `/api/v1` are left out.
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PERMISSION_ROLE, isRoutePermission } from '../auth/permissions.ts';
import { API_SCHEMAS } from './response-schemas.ts';
import { ErrorBodySchema } from './route-doc.ts';

export const OpenApiDocumentSchema = z
  .object({
    openapi: z.string().regex(/^3\.1\.\d+$/),
    info: z.object({ title: z.string(), version: z.string() }).loose(),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
    components: z.object({ schemas: z.record(z.string(), z.unknown()), securitySchemes: z.record(z.string(), z.unknown()) }).loose(),
  })
  .loose()
  .describe('An OpenAPI 3.1 document');

/** `/api/v1/stations/:id` → `/api/v1/stations/{id}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** `GET /api/v1/stations/:id/readings` → `getStationsIdReadings` */
export function operationId(method: string, url: string): string {
  const words = openApiPath(url).replace(/^\/api\/v1\//, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

const zodTransform = createJsonSchemaTransform({ schemaRegistry: API_SCHEMAS, skipList: [] });
const zodTransformObject = createJsonSchemaTransformObject({ schemaRegistry: API_SCHEMAS });

const errorAnswer = (when: string) => ({ description: when, content: { 'application/json': { schema: ErrorBodySchema } } });

export const openApiTransform: SwaggerTransform = (input) => {
  const { url, route } = input;
  if (!url.startsWith('/api/v1/') || !input.schema) return { schema: { hide: true }, url };
  const schema = input.schema as Record<string, unknown> & { response?: Record<string, unknown> };
  const permission = isRoutePermission(route.config?.permission) ? route.config.permission : 'public';
  const errors: Record<string, string> = {};
  if (schema['params'] || schema['querystring'] || schema['body']) errors['400'] = 'Invalid path, query or body: API_ERR_VALIDATION naming every bad field (`field`: the first)';
  if (permission !== 'public') {
    errors['401'] = 'Missing, wrong, expired or revoked bearer token (API_ERR_UNAUTHORIZED)';
    errors['403'] = `The token's role does not hold ${permission} (API_ERR_FORBIDDEN), or the target is outside its department scope (API_ERR_OUT_OF_SCOPE)`;
    errors['429'] = 'Address locked out after repeated bad tokens (API_ERR_LOCKED_OUT, Retry-After)';
  }
  for (const [status, when] of Object.entries(route.config?.errors ?? {})) errors[status] = when;
  errors['500'] = 'Internal error (API_ERR_INTERNAL)';
  const summary = typeof schema['summary'] === 'string' ? schema['summary'] : '';
  // Success answers described by the route's summary (not "Default Response").
  const response: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(schema.response ?? {})) {
    if (answer instanceof z.ZodNull) response[status] = z.null().describe(`${summary} (no body)`);
    else if (answer instanceof z.ZodType) response[status] = { description: summary, content: { 'application/json': { schema: answer } } };
    else response[status] = { description: summary, ...(answer as object) };
  }
  for (const [status, when] of Object.entries(errors)) response[status] = errorAnswer(when);
  const method = (Array.isArray(route.method) ? route.method : [route.method]).find((m) => m !== 'HEAD') ?? 'GET';
  const out = zodTransform({ ...input, schema: { ...schema, response } as never });
  return {
    url: out.url,
    schema: {
      ...out.schema,
      operationId: operationId(method, url),
      'x-permission': permission,
      ...(permission !== 'public' ? { 'x-least-role': PERMISSION_ROLE[permission] } : {}),
      security: permission === 'public' ? [] : [{ bearer: [] }],
    },
  };
};

/** The named schemas as components (Error among them), as the routes' `$ref`s expect. */
export const openApiTransformObject: SwaggerTransformObject = (input) => zodTransformObject(input);
