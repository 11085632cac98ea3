/**
 * A throwaway PostgreSQL (Debian's postgresql 15) on a free port with a temp data folder, the
 * way tests start influxd: initdb, then `postgres` in the foreground, stopped (fast shutdown)
 * and deleted by `stop()`. PostgreSQL refuses to run as root; as root (CI) both run as the
 * Debian `postgres` user through runuser, in a folder handed to that user.
 *
 * `createDatabase()` gives each test its own empty database on the one server.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '@shanshui/ingest';

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

export interface PostgresServer {
  readonly port: number;
  /** postgres://…/postgres (the maintenance database). */
  readonly url: string;
  readonly process: ChildProcess;
  /** A new empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server as a crash would (SIGKILL), for fault tests; `stop()` still cleans up. */
  kill(): void;
  /** Starts it again on the same data folder and port (after `kill()`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const dir = BIN_DIRS.find((d) => existsSync(path.join(d, 'postgres')));
  if (!dir) throw new Error('PostgreSQL not installed: apt-get install postgresql');
  return dir;
}

/** Runs as the postgres user when we are root (PostgreSQL refuses root). */
function asServerUser(cmd: string, args: readonly string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, [...args]];
}

let counter = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-pg-'));
  const data = path.join(dir, 'data');
  if (userInfo().uid === 0) {
    const pgUser = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const pgGroup = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pgUser.stdout.trim()), Number(pgGroup.stdout.trim()));
  }
  const [initCmd, initArgs] = asServerUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let proc: ChildProcess;
  let exited: Promise<void>;
  const launch = async (): Promise<void> => {
    const [cmd, args] = asServerUser(path.join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
      // A test server: no durability work, quick checkpoints, enough connections for several nodes.
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`postgres did not start: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const signalPostmaster = (signal: NodeJS.Signals): void => {
    try {
      const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, signal);
    } catch {
      proc.kill(signal); // no pid file yet, or already gone
    }
  };
  try {
    await launch();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url,
    get process() {
      return proc;
    },
    async createDatabase(name = `t${process.pid}_${++counter}`) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    kill() {
      // The postmaster itself (under runuser it is a child, which a signal to runuser does not reach).
      signalPostmaster('SIGKILL');
      proc.kill('SIGKILL');
    },
    async restart() {
      await exited;
      // A killed postmaster leaves its pid file and, for a moment, its backends: the next start
      // refuses until they are gone (then it finds the pid file stale and goes on).
      for (let attempt = 1; ; attempt++) {
        try {
          await launch();
          return;
        } catch (err) {
          if (attempt >= 40) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    async stop() {
      if (proc.exitCode === null) {
        signalPostmaster('SIGINT'); // fast shutdown
        const t = setTimeout(() => {
          signalPostmaster('SIGKILL');
          proc.kill('SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
