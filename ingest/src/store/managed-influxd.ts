/**
 * A local influxd (Debian's `influxdb` package, 1.6) run by the platform or by a test: its own
 * config, data folder and ports, started as a child process and stopped with it.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { IngestError } from '../errors.ts';

export interface ManagedInfluxdOptions {
  /** Folder for meta, data, wal, config and log. */
  readonly dataDir: string;
  /** HTTP port; 0 picks a free one. */
  readonly httpPort: number;
  /** Install Debian's influxdb with apt when influxd is missing and we are root. Default false. */
  readonly installIfMissing?: boolean;
  readonly logger?: Logger;
}

export interface ManagedInfluxd {
  readonly url: string;
  readonly httpPort: number;
  readonly pid: number;
  /** Stops influxd (SIGTERM, SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGSTOP/SIGCONT-free outage for fault tests: kill it now (data stays). */
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

function findInfluxd(): string | undefined {
  for (const p of ['/usr/bin/influxd', '/usr/local/bin/influxd', '/usr/sbin/influxd']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function installInfluxd(logger?: Logger): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  logger?.info('influxd not found: installing Debian package influxdb with apt-get (one time, about a minute)');
  execFileSync('sh', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q influxdb'], { stdio: 'inherit' });
  return findInfluxd();
}

export async function startManagedInfluxd(options: ManagedInfluxdOptions): Promise<ManagedInfluxd> {
  let binary = findInfluxd();
  if (!binary && options.installIfMissing) binary = installInfluxd(options.logger);
  if (!binary) {
    throw new IngestError(
      'INGEST_ERR_INFLUXD_MISSING',
      'install InfluxDB 1.x with `sudo apt-get install influxdb` (Debian/Ubuntu), or point SHANSHUI_INFLUX_URL at an existing InfluxDB',
    );
  }
  const dir = path.resolve(options.dataDir);
  await mkdir(dir, { recursive: true });
  const httpPort = options.httpPort || (await freePort());
  const rpcPort = await freePort();
  const conf = `reporting-disabled = true
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
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  log-enabled = false
`;
  const confPath = path.join(dir, 'influxd.conf');
  await writeFile(confPath, conf);
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const log = createWriteStream(path.join(dir, 'influxd.log'), { flags: 'a' });
    const proc = spawn(binary, ['-config', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    child = proc;
    let exited: string | undefined;
    proc.once('exit', (code, signal) => (exited = `influxd exited (${code ?? signal}) — see ${path.join(dir, 'influxd.log')}`));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(exited);
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 204) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
    throw new Error(`influxd did not answer /ping on ${url} within 30 s`);
  };

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  await start();
  options.logger?.info({ url, dataDir: dir }, 'managed influxd started');
  return {
    url,
    httpPort,
    get pid() {
      return child?.pid ?? -1;
    },
    stop: () => stopWith('SIGTERM'),
    kill: (signal = 'SIGKILL') => stopWith(signal),
    restart: start,
  };
}
