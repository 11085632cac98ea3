import { test } from 'vitest';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { z } from 'zod';
import { installRouteDocs, routeDocsOf } from './route-doc.ts';
import { openApiDocument } from './openapi-document.ts';

test('every /api/v1 route must be documented: one without a doc cannot be registered', async () => {
  const app = Fastify();
  installRouteDocs(app);
  const Params = z.object({ id: z.string().max(64) });
  const Query = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), state: z.enum(['a', 'b']).optional() });
  const Body = z.object({ name: z.string().min(1) }).strict();
  app.post(
    '/api/v1/things/:id',
    { config: { permission: 'stations:register', doc: { tag: 'things', summary: 'make a thing', params: Params, query: Query, body: Body, responses: { 201: z.object({ id: z.string() }) }, errors: { 409: 'exists' } } } },
    async () => ({ id: 'x' }),
  );
  app.get('/healthz', async () => ({})); // outside /api/v1: no documentation needed
  assert.throws(() => app.get('/api/v1/undocumented', { config: { permission: 'stations:read' } }, async () => ({})), /GET \/api\/v1\/undocumented has no documentation/);
  assert.throws(() => app.get('/api/v1/no-answers', { config: { permission: 'stations:read', doc: { tag: 't', summary: 's', responses: {} } } }, async () => ({})), /has no documentation/);
  await app.ready();
  assert.deepEqual(routeDocsOf(app).map((r) => `${r.method} ${r.url} ${r.permission}`), ['POST /api/v1/things/:id stations:register']);

  const doc = openApiDocument(routeDocsOf(app), { title: 't', version: '1' });
  const op = doc.paths['/api/v1/things/{id}']?.['post'] as any;
  assert.equal(op['x-permission'], 'stations:register');
  assert.deepEqual(op.security, [{ bearer: [] }]);
  assert.deepEqual(
    op.parameters.map((p: any) => [p.in, p.name, p.required]),
    [['path', 'id', true], ['query', 'limit', false], ['query', 'state', false]],
  );
  assert.equal(op.parameters[1].schema.maximum, 1000);
  assert.deepEqual(op.requestBody.content['application/json'].schema.required, ['name']);
  assert.deepEqual(Object.keys(op.responses).sort(), ['201', '400', '401', '403', '409', '429', '500']);
  assert.equal(op.responses['409'].content['application/json'].schema.$ref, '#/components/schemas/Error');
  await app.close();
});
