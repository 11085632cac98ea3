/**
 * The managed influxd, against the real Debian influxd:
 * authentication with a least-privilege platform user, secrets 0600, loopback only; a clear
 * error on a port that belongs to someone else; its log in a file; a previous influxd left on
 * the folder taken over; crashes restarted with backoff and counted.
 */
import { test, afterAll, expect } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describePortInUse, freePort, loadConfig, parseConfig, startManagedInfluxd, InfluxHttp } from '@shanshui/ingest';
import type { ManagedInfluxd } from '@shanshui/ingest';
import { tempDir } from '../support/temp-dir.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function managed(options: Partial<Parameters<typeof startManagedInfluxd>[0]> = {}): Promise<{ influxd: ManagedInfluxd; dir: string }> {
  const tmp = await tempDir('shanshui-managed-');
  cleanups.push(tmp.remove);
  const influxd = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: 0, ...options });
  cleanups.push(() => influxd.stop());
  return { influxd, dir: tmp.dir };
}

async function influxql(url: string, q: string, user?: { username: string; password: string }): Promise<{ status: number; error?: string }> {
  const auth = user ? `&${new URLSearchParams({ u: user.username, p: user.password }).toString()}` : '';
  const res = await fetch(`${url}/query?db=shanshui${auth}`, { method: 'POST', body: new URLSearchParams({ q }) });
  const body = (await res.json().catch(() => ({}))) as { error?: string; results?: Array<{ error?: string }> };
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  return { status: res.status, ...(error ? { error } : {}) };
}

test('authentication: the platform user reads and writes its database and nothing else; secrets are 0600; loopback only', async () => {
  const { influxd, dir } = await managed();
  const user = influxd.user;
  assert.ok(user, 'a platform user was generated');
  const creds = JSON.parse(await readFile(path.join(dir, 'credentials.json'), 'utf8'));
  assert.equal(statSync(path.join(dir, 'credentials.json')).mode & 0o777, 0o600);
  assert.deepEqual(creds.platform, user);
  assert.notEqual(creds.admin.username, user.username);

  // Without credentials: nothing (a forged request from inside could otherwise run DROP statements exactly like this).
  assert.equal((await influxql(influxd.url, 'SHOW DATABASES')).status, 401);
  assert.equal((await influxql(influxd.url, 'DROP DATABASE shanshui')).status, 401);
  const anonymousWrite = await fetch(`${influxd.url}/write?db=shanshui`, { method: 'POST', body: 'm v=1' });
  assert.equal(anonymousWrite.status, 401);

  // The platform user: write, read, and the platform's own start-up statement — what the platform needs.
  const influx = new InfluxHttp({ url: influxd.url, database: 'shanshui', username: user.username, password: user.password });
  await influx.ensureDatabase();
  await influx.write('air,station=s1 pm25=12 1700000000000');
  const rows = await influx.query('SELECT pm25 FROM air');
  assert.equal(rows[0]?.values[0]?.[1], 12);
  // … and no more: no user management, no dropping the database, no other database.
  for (const q of ['DROP DATABASE shanshui', 'CREATE USER evil WITH PASSWORD \'x\' WITH ALL PRIVILEGES', 'CREATE DATABASE other', 'SHOW USERS']) {
    const r = await influxql(influxd.url, q, user);
    assert.equal(r.status, 403, `${q}: ${JSON.stringify(r)}`);
  }
  // The admin can (the platform itself never uses it after provisioning).
  assert.equal((await influxql(influxd.url, 'SHOW USERS', creds.admin)).status, 200);

  // Bound to loopback only.
  const conf = await readFile(path.join(dir, 'influxd.conf'), 'utf8');
  for (const m of conf.matchAll(/bind-address = "([^"]+)"/g)) assert.match(m[1]!, /^127\.0\.0\.1:\d+$/);
  assert.match(conf, /auth-enabled = true/);
});

test('a restart on the same folder keeps the users and their stored passwords', async () => {
  const tmp = await tempDir('shanshui-managed-');
  cleanups.push(tmp.remove);
  const first = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: 0 });
  const user = first.user!;
  await new InfluxHttp({ url: first.url, database: 'shanshui', ...user }).write('m v=1 1700000000000');
  await first.stop();
  const second = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: 0 });
  cleanups.push(() => second.stop());
  assert.deepEqual(second.user, user);
  const rows = await new InfluxHttp({ url: second.url, database: 'shanshui', ...user }).query('SELECT v FROM m');
  assert.equal(rows[0]?.values.length, 1);
});

test('a port that belongs to another program is a clear error, not a false start', async () => {
  const port = await freePort();
  const squatter = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
  const tmp = await tempDir('shanshui-managed-');
  cleanups.push(tmp.remove);
  await expect(startManagedInfluxd({ dataDir: tmp.dir, httpPort: port })).rejects.toMatchObject({
    code: 'INGEST_ERR_INFLUXD_PORT_BUSY',
    message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*SHANSHUI_INFLUX_MANAGED_PORT`)),
  });
});

test('a port held by another influxd: the error names the holder, and npm start says it in one line with the setting', async () => {
  const other = await managed({ auth: false });
  const tmp = await tempDir('shanshui-managed-');
  cleanups.push(tmp.remove);
  const err = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: other.influxd.httpPort }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'INGEST_ERR_INFLUXD_PORT_BUSY', message: expect.stringContaining(`in use by influxd (pid ${other.influxd.pid})`) });
  const line = describePortInUse(err, parseConfig({ influxManagedPort: other.influxd.httpPort }));
  expect(line).toBe(
    `managed InfluxDB port ${other.influxd.httpPort} is already in use, held by influxd (pid ${other.influxd.pid}). Move the platform's with SHANSHUI_INFLUX_MANAGED_PORT=<another port> (0 picks a free one) or stop the other program.`,
  );
});

test('influxd writes its log to a file in the data folder, never to a pipe', async () => {
  const { influxd, dir } = await managed({ auth: false });
  const logFile = path.join(dir, 'influxd.log');
  assert.equal(influxd.status().logFile, logFile);
  for (const fd of [1, 2]) assert.equal(readlinkSync(`/proc/${influxd.pid}/fd/${fd}`), logFile);
  await expect.poll(async () => (await readFile(logFile, 'utf8')).length, { timeout: 30_000 }).toBeGreaterThan(0);
});

/** The niceness of each of a process's threads (/proc/{pid}/task/{tid}/stat, field 19). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('influxd runs niced (5 more than the platform by default, every thread), so the broker and warnings go first when both want the CPU', async () => {
  // Relative to this process (the tests may themselves run under nice).
  const own = threadNiceness(process.pid)[0]!;
  const { influxd } = await managed({ auth: false });
  const byDefault = threadNiceness(influxd.pid);
  expect(byDefault.length).toBeGreaterThan(1);
  expect(new Set(byDefault)).toEqual(new Set([Math.min(19, own + 5)]));
  expect(readFileSync(`/proc/${influxd.pid}/comm`, 'utf8').trim()).toBe('influxd');
  expect(threadNiceness(process.pid)[0]).toBe(own);
  const configured = await managed({ auth: false, niceness: 0 });
  expect(new Set(threadNiceness(configured.influxd.pid))).toEqual(new Set([own]));
  expect(loadConfig({ SHANSHUI_INFLUX_MANAGED_NICE: '12' }).influx.managedNice).toBe(12);
  expect(loadConfig({}).influx.managedNice).toBe(5);
  expect(() => loadConfig({ SHANSHUI_INFLUX_MANAGED_NICE: '20' })).toThrow(/SHANSHUI_INFLUX_MANAGED_NICE/);
});

test('an influxd left on the folder by a platform that died is taken over: stopped, then ours starts on the same port', async () => {
  const { influxd, dir } = await managed({ auth: false });
  const port = influxd.httpPort;
  await influxd.kill();
  // Play the orphan: the same influxd config run by no one we know, its lock naming a dead platform.
  const orphan = spawn('/usr/bin/influxd', ['-config', path.join(dir, 'influxd.conf')], { stdio: 'ignore', detached: true });
  cleanups.push(() => void orphan.kill('SIGKILL'));
  await expect.poll(() => fetch(`${influxd.url}/ping`).then((r) => r.status).catch(() => 0), { timeout: 30_000 }).toBe(204);
  await writeFile(path.join(dir, 'influxd.lock'), JSON.stringify({ pid: orphan.pid, ownerPid: 999_999, httpPort: port, startedAt: new Date().toISOString() }));
  const orphanGone = new Promise((resolve) => orphan.once('exit', resolve));

  const next = await startManagedInfluxd({ dataDir: dir, httpPort: port, auth: false });
  cleanups.push(() => next.stop());
  await orphanGone;
  assert.notEqual(next.pid, orphan.pid);
  assert.equal(next.status().state, 'running');
  const lock = JSON.parse(await readFile(path.join(dir, 'influxd.lock'), 'utf8'));
  assert.equal(lock.pid, next.pid);
  assert.equal(lock.ownerPid, process.pid);
});

test('supervision: a crashed influxd is restarted with backoff, counted, and its data is still there', async () => {
  const restarted: unknown[] = [];
  const { influxd } = await managed({ restartBaseMs: 200, restartMaxMs: 1000, onRestart: (e) => restarted.push(e) });
  const influx = new InfluxHttp({ url: influxd.url, database: 'shanshui', ...influxd.user! });
  await influx.write('m v=1 1700000000000');
  const first = influxd.pid;
  process.kill(first, 'SIGKILL'); // a crash (OOM killer, segfault): not asked for
  await expect.poll(() => influxd.status().state, { timeout: 10_000 }).not.toBe('running');
  await expect.poll(() => influxd.status(), { timeout: 30_000 }).toMatchObject({ state: 'running', restarts: 1, lastExit: { signal: 'SIGKILL' } });
  assert.notEqual(influxd.pid, first);
  assert.deepEqual(restarted, [influxd.status().lastExit], 'counted once, with the exit it recovered from');
  await expect.poll(async () => (await influx.query('SELECT v FROM m'))[0]?.values.length, { timeout: 10_000 }).toBe(1);
  // A second crash: restarted again, counted again.
  process.kill(influxd.pid, 'SIGKILL');
  await expect.poll(() => influxd.status(), { timeout: 30_000 }).toMatchObject({ state: 'running', restarts: 2 });
  // Asked to stop: no restart.
  await influxd.kill();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(influxd.status().state, 'stopped');
  assert.equal(influxd.status().restarts, 2);
});
