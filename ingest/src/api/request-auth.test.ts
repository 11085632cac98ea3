import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import Fastify from 'fastify';
import pino from 'pino';
import { memoryLockout } from '@shanshui/broker';
import { createMetrics } from '../metrics.ts';
import { ApiTokenStore } from '../auth/api-token-store.ts';
import { AuditLog } from '../auth/audit-log.ts';
import { installAuth, routeTableOf } from './request-auth.ts';

function appWithAuth() {
  const db = new DatabaseSync(':memory:');
  const app = Fastify();
  installAuth(app, { logger: pino({ level: 'silent' }), apiToken: 'bootstrap-admin-token-0123', tokens: new ApiTokenStore(db), audit: new AuditLog(db), lockout: memoryLockout({}), metrics: createMetrics() });
  return app;
}

test('every /api/v1 route must declare a permission: one without cannot be registered', async () => {
  const app = appWithAuth();
  app.get('/api/v1/fine', { config: { permission: 'stations:read' } }, async () => ({}));
  app.get('/healthz', async () => ({})); // outside /api/v1: no permission needed
  assert.throws(() => app.get('/api/v1/forgotten', async () => ({})), /GET \/api\/v1\/forgotten declares no permission/);
  assert.throws(() => app.post('/api/v1/typo', { config: { permission: 'stations:wrte' as never } }, async () => ({})), /declares no permission/);
  await app.ready();
  assert.deepEqual(routeTableOf(app), [{ method: 'GET', url: '/api/v1/fine', permission: 'stations:read' }]);
  await app.close();
});
