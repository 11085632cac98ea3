/**
 * A local influxd (Debian's `influxdb` package, 1.6) run by the platform or by a test: its own
 * config, data folder and ports, bound to loopback, with authentication (influxd-users.ts).
 *
 * Its life is tied to the platform's:
 * - influxd writes its log to `influxd.log` in the data folder (a file, never a pipe to us, so
 *   our death cannot kill it with SIGPIPE later);
 * - it is started through `setpriv --pdeathsig TERM` (util-linux), so the kernel stops it when
 *   the platform ends for any reason, kill -9 included; in a process group of its own, so a
 *   Ctrl-C reaches the platform, which then stops it in order;
 * - `influxd.lock` records its pid and the platform's: a previous influxd left on this folder is
 *   taken over (influxd-lock.ts); a port held by anything else is a clear error, never "started";
 * - supervised: when it crashes it is restarted with backoff, counted, and reported in `status()`.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { IngestError } from '../errors.ts';
import { removeInfluxdLock, takeOverPreviousInfluxd, writeInfluxdLock } from './influxd-lock.ts';
import { provisionInfluxdUsers } from './influxd-users.ts';
import type { InfluxdUser } from './influxd-users.ts';
import { Backoff } from '@shanshui/models';
import { portHolder } from '../port-in-use.ts';

export interface ManagedInfluxdOptions {
  /** Folder for meta, data, wal, config, log, lock and credentials. */
  readonly dataDir: string;
  /** HTTP port on 127.0.0.1; 0 picks a free one. */
  readonly httpPort: number;
  /** Database the platform user may read and write (created at start). Default `shanshui`. */
  readonly database?: string;
  /** Authentication with an admin and a platform user. Default true; false only for tests that query it directly. */
  readonly auth?: boolean;
  /** Restart influxd when it exits unasked, with backoff. Default true. */
  readonly supervise?: boolean;
  /** Ceiling of the first restart delay, ms (models' Backoff: ½–1 × this, doubling per consecutive crash). Default 1000. */
  readonly restartBaseMs?: number;
  /** Longest restart delay, ms. Default 60000. */
  readonly restartMaxMs?: number;
  /** Install Debian's influxdb with apt when influxd is missing and we are root. Default false. */
  readonly installIfMissing?: boolean;
  /**
   * CPU niceness added for influxd over the platform's own (coreutils `nice`, 0–19):
   * when both want the CPU, the broker's PUBACKs and the warnings go first and readings wait
   * in the durable spool; when the platform is idle influxd gets every core anyway. Default
   * MANAGED_INFLUXD_NICENESS (5: about a quarter of the CPU against the platform's three quarters).
   */
  readonly niceness?: number;
  /** Called after each successful restart that followed an unasked exit (crash, OOM kill): count it. */
  readonly onRestart?: (exit: InfluxdExit) => void;
  readonly logger?: Logger;
}

export interface InfluxdExit {
  readonly at: string;
  readonly code: number | null;
  readonly signal: string | null;
}

export interface ManagedInfluxdStatus {
  /** running; restarting (crashed, waiting for its backoff or starting again); stopped (asked to). */
  readonly state: 'running' | 'restarting' | 'stopped';
  readonly pid: number | null;
  /** Successful restarts after crashes since the platform started. */
  readonly restarts: number;
  readonly lastExit: InfluxdExit | null;
  readonly logFile: string;
}

export interface ManagedInfluxd {
  readonly url: string;
  readonly httpPort: number;
  readonly pid: number;
  /** The platform user (READ+WRITE on `database`); undefined with `auth: false`. */
  readonly user: InfluxdUser | undefined;
  status(): ManagedInfluxdStatus;
  /** Stops influxd (SIGTERM, SIGKILL after 10 s); no restart follows. */
  stop(): Promise<void>;
  /** For fault tests: an outage on demand (data stays); no restart follows until `restart()`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data after stop/kill. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Refuses a port something else listens on, before influxd fails on it (or, worse, another process answers our /ping). */
async function requireFreePort(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      const holder = portHolder(port);
      // `cause` keeps the EADDRINUSE (with its port): main.ts says it in one line like the other listeners'.
      reject(
        new IngestError(
          'INGEST_ERR_INFLUXD_PORT_BUSY',
          `127.0.0.1:${port} is already in use by ${holder ?? 'another program'}; set SHANSHUI_INFLUX_MANAGED_PORT to a free port (0 picks one) or stop that program`,
          { cause: err },
        ),
      );
    });
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

function which(name: string, candidates: readonly string[]): string | undefined {
  for (const p of candidates) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function findInfluxd(): string | undefined {
  return which('influxd', ['/usr/bin/influxd', '/usr/local/bin/influxd', '/usr/sbin/influxd']);
}

function installInfluxd(logger?: Logger): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  logger?.info('influxd not found: installing Debian package influxdb with apt-get (one time, about a minute)');
  execFileSync('sh', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q influxdb'], { stdio: 'inherit' });
  return findInfluxd();
}

/** The managed influxd's default niceness (ManagedInfluxdOptions.niceness). */
export const MANAGED_INFLUXD_NICENESS = 5;

export async function startManagedInfluxd(options: ManagedInfluxdOptions): Promise<ManagedInfluxd> {
  let binary = findInfluxd();
  if (!binary && options.installIfMissing) binary = installInfluxd(options.logger);
  if (!binary) {
    throw new IngestError(
      'INGEST_ERR_INFLUXD_MISSING',
      'install InfluxDB 1.x with `sudo apt-get install influxdb` (Debian/Ubuntu), or point SHANSHUI_INFLUX_URL at an existing InfluxDB',
    );
  }
  const logger = options.logger;
  const auth = options.auth ?? true;
  const supervise = options.supervise ?? true;
  const backoff = new Backoff({ minMs: options.restartBaseMs ?? 1000, maxMs: options.restartMaxMs ?? 60_000 });
  // The kernel's parent-death signal through util-linux setpriv (Linux); without it, stop() still stops influxd.
  const setpriv = process.platform === 'linux' ? which('setpriv', ['/usr/bin/setpriv', '/bin/setpriv']) : undefined;
  if (!setpriv) logger?.warn('setpriv not found: a killed platform may leave its influxd running (the next start takes it over)');
  const niceness = options.niceness ?? MANAGED_INFLUXD_NICENESS;
  const nice = niceness > 0 && process.platform !== 'win32' ? which('nice', ['/usr/bin/nice', '/bin/nice']) : undefined;
  if (niceness > 0 && !nice) logger?.warn('nice not found: influxd runs at the platform\'s own CPU priority');

  const dir = path.resolve(options.dataDir);
  await mkdir(dir, { recursive: true });
  const confPath = path.join(dir, 'influxd.conf');
  const lockPath = path.join(dir, 'influxd.lock');
  const logFile = path.join(dir, 'influxd.log');
  // An influxd left by a platform that died goes first: it may hold our port and our WAL.
  await takeOverPreviousInfluxd(lockPath, confPath, logger);
  if (options.httpPort) await requireFreePort(options.httpPort);
  const httpPort = options.httpPort || (await freePort());
  const url = `http://127.0.0.1:${httpPort}`;

  let child: ChildProcess | undefined;
  let asked = false; // stop()/kill() asked for the exit: no restart
  let restarts = 0;
  let lastExit: InfluxdExit | null = null;
  let restartTimer: NodeJS.Timeout | undefined;
  let user: InfluxdUser | undefined;

  const start = async (): Promise<void> => {
    const rpcPort = await freePort();
    await writeFile(
      confPath,
      `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "1m"
[http]
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  log-enabled = false
`,
    );
    // stop() may have come while we awaited: start nothing it would not stop.
    if (asked) throw new IngestError('INGEST_ERR_INFLUXD_FAILED', 'stopped while starting');
    const logFd = openSync(logFile, 'a');
    let proc: ChildProcess;
    try {
      // setpriv → nice → influxd: each execs the next, so the pid, the parent-death signal and the niceness are influxd's.
      const command = [...(setpriv ? [setpriv, '--pdeathsig', 'TERM'] : []), ...(nice ? [nice, '-n', String(niceness)] : []), binary, '-config', confPath];
      const [cmd, ...args] = command as [string, ...string[]];
      proc = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], detached: true });
    } finally {
      closeSync(logFd);
    }
    child = proc;
    let exited: string | undefined;
    proc.once('exit', (code, signal) => {
      exited = `influxd exited (${code ?? signal}) — see ${logFile}`;
      onExit(proc, code, signal);
    });
    if (proc.pid) await writeInfluxdLock(lockPath, { pid: proc.pid, ownerPid: process.pid, httpPort, startedAt: new Date().toISOString() });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new IngestError('INGEST_ERR_INFLUXD_FAILED', exited);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new IngestError('INGEST_ERR_INFLUXD_FAILED', `influxd did not answer /ping on ${url} within 30 s — see ${logFile}`);
      }
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        // Only our own influxd counts: an answer while ours has exited came from someone else.
        if (res.status === 204 && !exited) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (auth) user = (await provisionInfluxdUsers(url, dir, options.database ?? 'shanshui')).platform;
  };

  const scheduleRestart = (): void => {
    const delay = backoff.next();
    logger?.warn({ attempt: backoff.attempts, delayMs: delay }, 'managed influxd: restarting after backoff');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (asked) return;
      const before = child;
      startTracked().then(
        () => {
          restarts++;
          logger?.info({ pid: child?.pid, restarts }, 'managed influxd restarted');
          if (lastExit) options.onRestart?.(lastExit);
        },
        (err: unknown) => {
          logger?.error({ err }, 'managed influxd restart failed');
          if (asked) return;
          const proc = child;
          // A process that started but failed its checks: its exit schedules the next try. None started: schedule here.
          if (proc !== before && proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
          else if (proc === before) scheduleRestart();
        },
      );
    }, delay);
  };

  const startedAtOf = new WeakMap<ChildProcess, number>();
  let supervising = false; // from the first successful start on: a failed first start is the caller's error
  const onExit = (proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void => {
    if (proc !== child) return;
    lastExit = { at: new Date().toISOString(), code, signal };
    if (asked || !supervise || !supervising) return;
    // A run of a minute or more was a recovery: the next crash starts the backoff from the beginning.
    if (Date.now() - (startedAtOf.get(proc) ?? Date.now()) > 60_000) backoff.reset();
    logger?.error({ code, signal, logFile }, 'managed influxd exited unexpectedly');
    scheduleRestart();
  };

  const startTracked = async (): Promise<void> => {
    await start();
    if (child) startedAtOf.set(child, Date.now());
  };

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    asked = true;
    clearTimeout(restartTimer);
    restartTimer = undefined;
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  try {
    await startTracked();
  } catch (err) {
    // A first start that failed after spawning (users, ping) leaves nothing running behind.
    await stopWith('SIGTERM');
    throw err;
  }
  supervising = true;
  logger?.info({ url, dataDir: dir, pid: child?.pid, auth, logFile }, 'managed influxd started');
  return {
    url,
    httpPort,
    get pid() {
      return child?.pid ?? -1;
    },
    get user() {
      return user;
    },
    status() {
      const running = child !== undefined && child.exitCode === null && child.signalCode === null;
      return {
        state: running ? 'running' : asked ? 'stopped' : 'restarting',
        pid: running ? (child?.pid ?? null) : null,
        restarts,
        lastExit,
        logFile,
      };
    },
    async stop() {
      await stopWith('SIGTERM');
      await removeInfluxdLock(lockPath);
    },
    kill: (signal = 'SIGKILL') => stopWith(signal),
    async restart() {
      asked = false;
      await startTracked();
    },
  };
}
