import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { AuditLog, redact } from './audit-log.ts';

const actor = { id: 'tok_1', name: 'water-ops', role: 'operator' };
const entry = (target: string, departments: string[] | null, summary: unknown = {}) => ({ actor, ip: '10.0.0.1', method: 'POST', route: '/api/v1/x', status: 201, target, departments, summary });

test('audit log: append-only — SQLite itself refuses UPDATE and DELETE', () => {
  const db = new DatabaseSync(':memory:');
  const log = new AuditLog(db);
  log.append(entry('st-1', ['water']));
  assert.throws(() => db.exec("UPDATE audit_log SET actor_name = 'someone else'"), /append-only/);
  assert.throws(() => db.exec('DELETE FROM audit_log'), /append-only/);
  assert.equal(log.list({ limit: 10 })[0]!.actorName, 'water-ops');
  new AuditLog(db); // opening again keeps the triggers and the rows
  assert.equal(log.list({ limit: 10 }).length, 1);
});

test('audit log: secrets never reach it; filters by actor, target, departments; pages by id', () => {
  const log = new AuditLog(new DatabaseSync(':memory:'));
  log.append(entry('sub-1', ['water'], { name: 'x', secret: 'hmac-key-123456789012345678', nested: { password: 'p', apiToken: 't' }, passwords: { a: 'b' } }));
  log.append(entry('sub-2', ['water', 'eco-env']));
  log.append(entry('rule-global', null));
  log.append({ ...entry('st-9', ['eco-env']), actor: { id: 'admin', name: 'admin', role: 'admin' } });
  const all = log.list({ limit: 10 });
  assert.deepEqual(all.map((e) => e.target), ['st-9', 'rule-global', 'sub-2', 'sub-1']);
  assert.deepEqual(all[3]!.summary, { name: 'x', secret: '[redacted]', nested: { password: '[redacted]', apiToken: '[redacted]' }, passwords: '[redacted]' });
  assert.deepEqual(log.list({ limit: 10, departments: ['water'] }).map((e) => e.target), ['sub-1'], 'only entries wholly inside the scope');
  assert.deepEqual(log.list({ limit: 10, departments: ['water', 'eco-env'] }).map((e) => e.target), ['st-9', 'sub-2', 'sub-1'], 'global entries only for scope *');
  assert.deepEqual(log.list({ limit: 10, actor: 'admin' }).map((e) => e.target), ['st-9']);
  assert.deepEqual(log.list({ limit: 10, target: 'sub-2' }).map((e) => e.target), ['sub-2']);
  assert.deepEqual(log.list({ limit: 2, beforeId: all[1]!.id }).map((e) => e.target), ['sub-2', 'sub-1']);
  assert.deepEqual(redact({ key: 'k', keys: ['a'], long: 'x'.repeat(300) }), { key: '[redacted]', keys: ['a'], long: `${'x'.repeat(200)}…` });
});
