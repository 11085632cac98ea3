import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { ApiTokenStore } from './api-token-store.ts';

test('API tokens: only the hash is stored; they expire and can be revoked', () => {
  const db = new DatabaseSync(':memory:');
  const store = new ApiTokenStore(db);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const { token, secret } = store.create({ name: 'water-ops', role: 'operator', departments: ['water'], ttlSec: 60, createdBy: 'admin' }, t0);
  assert.match(secret, /^ssk_[A-Za-z0-9_-]{43}$/);
  const raw = JSON.stringify(db.prepare('SELECT * FROM api_tokens').all());
  assert.ok(!raw.includes(secret) && !raw.includes(secret.slice(4)), 'the secret is not stored');

  const ok = store.verify(secret, t0 + 1000);
  assert.ok(ok.ok && ok.principal.id === token.id && ok.principal.role === 'operator');
  assert.deepEqual(ok.ok && ok.principal.departments, ['water']);
  assert.deepEqual(store.verify(`${secret}x`, t0), { ok: false, reason: 'unknown' });
  assert.deepEqual(store.verify(secret, t0 + 60_000), { ok: false, reason: 'expired' });
  assert.equal(store.get(token.id, t0 + 60_000)!.state, 'expired');

  const other = store.create({ name: 'centre', role: 'admin', departments: '*', ttlSec: 3600, createdBy: 'admin' }, t0);
  assert.equal(store.revoke(other.token.id, 'admin', t0 + 10), true);
  assert.deepEqual(store.verify(other.secret, t0 + 20), { ok: false, reason: 'revoked' });
  assert.equal(store.revoke('tok_nope', 'admin'), false);
  const listed = store.list(t0 + 20);
  assert.deepEqual(listed.map((t) => t.state).sort(), ['active', 'revoked']);
  assert.ok(!JSON.stringify(listed).includes('ssk_'));
});
