import { test, expect } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { UserStore } from './user-store.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const fresh = (): { db: DatabaseSync; users: UserStore } => {
  const db = new DatabaseSync(':memory:');
  return { db, users: new UserStore(db, { scryptCost: 1024, idleMs: 60_000, ttlMs: 600_000 }) };
};

test('users: the password is kept only as a scrypt hash; a sign-in opens a session whose secret is not stored', async () => {
  const { db, users } = fresh();
  const u = await users.create({ name: 'zhang', displayName: '张三', password: 'correct horse battery', role: 'operator', departments: ['water'], createdBy: 'admin' }, t0);
  expect(u?.role).toBe('operator');
  expect(await users.create({ name: 'zhang', displayName: 'x', password: 'another password', role: 'viewer', departments: '*', createdBy: 'admin' })).toBeUndefined();
  const raw = JSON.stringify(db.prepare('SELECT * FROM users').all());
  expect(raw).not.toContain('correct horse');
  expect(raw).toMatch(/scrypt\$1024\$8\$1\$/);

  expect(await users.signIn('zhang', 'wrong password', t0)).toEqual({ ok: false, reason: 'password' });
  expect(await users.signIn('nobody', 'whatever', t0)).toEqual({ ok: false, reason: 'unknown' });
  const ok = await users.signIn('zhang', 'correct horse battery', t0);
  if (!ok.ok) throw new Error('sign-in refused');
  expect(ok.session.principal).toEqual({ id: 'user:zhang', name: 'zhang', role: 'operator', departments: ['water'] });
  expect(JSON.stringify(db.prepare('SELECT * FROM user_sessions').all())).not.toContain(ok.secret);
  expect((await users.session(ok.secret, t0 + 1000))?.user.name).toBe('zhang');
  expect(await users.session(`${ok.secret}x`, t0 + 1000)).toBeUndefined();
});

test('sessions end when idle, at their lifetime, at sign-out, and when the user is disabled or gets a new password', async () => {
  const { users } = fresh();
  await users.create({ name: 'li', displayName: '李四', password: 'a long passphrase', role: 'viewer', departments: '*', createdBy: 'admin' }, t0);
  const open = async (at: number): Promise<string> => {
    const r = await users.signIn('li', 'a long passphrase', at);
    if (!r.ok) throw new Error(r.reason);
    return r.secret;
  };
  // Idle: 60 s without use ends it; use keeps it alive (recorded at most every 30 s).
  const idle = await open(t0);
  expect(await users.session(idle, t0 + 59_000)).toBeDefined();
  expect(await users.session(idle, t0 + 59_000 + 59_000)).toBeDefined();
  expect(await users.session(idle, t0 + 59_000 + 59_000 + 61_000)).toBeUndefined();
  // Lifetime: 10 min whatever the use.
  const busy = await open(t0);
  for (let at = t0; at < t0 + 600_000; at += 40_000) expect(await users.session(busy, at)).toBeDefined();
  expect(await users.session(busy, t0 + 600_000)).toBeUndefined();
  // Sign-out.
  const out = await open(t0);
  await users.endSession(out);
  expect(await users.session(out, t0 + 1)).toBeUndefined();
  // Disabled: sessions end and sign-in is refused; enabled again, the password works.
  const a = await open(t0);
  await users.update('li', { disabled: true }, t0);
  expect(await users.session(a, t0 + 1)).toBeUndefined();
  expect(await users.signIn('li', 'a long passphrase', t0)).toEqual({ ok: false, reason: 'disabled' });
  await users.update('li', { disabled: false }, t0);
  const b = await open(t0);
  await users.update('li', { password: 'a new long passphrase' }, t0);
  expect(await users.session(b, t0 + 1)).toBeUndefined();
  expect((await users.signIn('li', 'a new long passphrase', t0)).ok).toBe(true);
  // The sweep drops what has ended.
  expect(await users.sweep(t0 + 600_000)).toBeGreaterThan(0);
});
