import { test } from 'vitest';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import pino from 'pino';
import { memoryLockout } from '@shanshui/broker';
import { createMetrics } from '../metrics.ts';
import { openPlatformStore } from '../state/open-platform-store.ts';
import { installAuth, routeTableOf } from './request-auth.ts';

async function appWithAuth() {
  const store = await openPlatformStore({ sqliteFile: ':memory:', logger: pino({ level: 'silent' }) });
  const app = Fastify();
  app.addHook('onClose', () => store.close());
  installAuth(app, { logger: pino({ level: 'silent' }), apiToken: 'bootstrap-admin-token-0123', tokens: store.tokens, audit: store.audit, lockout: memoryLockout({}), metrics: createMetrics() });
  return app;
}

test('every /api/v1 route must declare a permission: one without cannot be registered', async () => {
  const app = await appWithAuth();
  app.get('/api/v1/fine', { config: { permission: 'stations:read' } }, async () => ({}));
  app.get('/healthz', async () => ({})); // outside /api/v1: no permission needed
  assert.throws(() => app.get('/api/v1/forgotten', async () => ({})), /GET \/api\/v1\/forgotten declares no permission/);
  assert.throws(() => app.post('/api/v1/typo', { config: { permission: 'stations:wrte' as never } }, async () => ({})), /declares no permission/);
  await app.ready();
  assert.deepEqual(routeTableOf(app), [{ method: 'GET', url: '/api/v1/fine', permission: 'stations:read' }]);
  await app.close();
});
