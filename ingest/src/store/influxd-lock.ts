/**
 * The managed influxd's lock file (`influxd.lock` in its data folder): which influxd runs on
 * this folder and which platform process started it. At start, a live influxd left by a platform
 * that died (kill -9, OOM, power cut of the supervisor only) is stopped — a clean takeover, so
 * two influxd never share one data and WAL folder — while one whose platform still runs is a
 * refusal: two platforms on one data folder is an operator error worth a clear message.
 */
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { IngestError } from '../errors.ts';

const LockSchema = z.object({ pid: z.number().int().positive(), ownerPid: z.number().int().positive(), httpPort: z.number().int(), startedAt: z.string() });
export type InfluxdLock = z.output<typeof LockSchema>;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) is not running.
  return procStat(pid)?.state !== 'Z';
}

/** State and parent of a process from /proc (Linux); undefined elsewhere or when it is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export async function readInfluxdLock(file: string): Promise<InfluxdLock | undefined> {
  try {
    return LockSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

export async function writeInfluxdLock(file: string, lock: InfluxdLock): Promise<void> {
  await writeFile(file, `${JSON.stringify(lock)}\n`, { mode: 0o600 });
}

export async function removeInfluxdLock(file: string): Promise<void> {
  await rm(file, { force: true });
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * Clears the way for a new influxd on this folder: nothing to do without a lock or when its
 * influxd is gone; an orphan (its platform gone) is stopped (SIGTERM, SIGKILL after 10 s);
 * an influxd whose platform still runs is refused with INGEST_ERR_INFLUXD_IN_USE.
 */
export async function takeOverPreviousInfluxd(file: string, configPath: string, logger?: Logger): Promise<void> {
  const lock = await readInfluxdLock(file);
  if (!lock) return;
  // The pid may have been reused by an unrelated process: only an influxd on our config counts.
  if (!isAlive(lock.pid) || !commandLine(lock.pid).includes(configPath)) {
    await removeInfluxdLock(file);
    return;
  }
  const parent = procStat(lock.pid)?.ppid;
  if (lock.ownerPid !== process.pid && parent === lock.ownerPid && isAlive(lock.ownerPid)) {
    throw new IngestError('INGEST_ERR_INFLUXD_IN_USE', `influxd pid ${lock.pid} on this data folder belongs to the running platform pid ${lock.ownerPid}; stop it first or use another data folder`);
  }
  logger?.warn({ pid: lock.pid, ownerPid: lock.ownerPid }, 'managed influxd left running by a platform that ended: stopping it before starting ours');
  try {
    process.kill(lock.pid, 'SIGTERM');
  } catch {
    // gone meanwhile
  }
  if (!(await waitGone(lock.pid, 10_000))) {
    process.kill(lock.pid, 'SIGKILL');
    await waitGone(lock.pid, 5000);
  }
  await removeInfluxdLock(file);
}
