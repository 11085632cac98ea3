/**
 * Bench support: temp folders and influxd processes that go away even when the bench is
 * interrupted (Ctrl-C): each registers a synchronous clean-up on process exit.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startManagedInfluxd } from '@shanshui/ingest';
import type { ManagedInfluxd } from '@shanshui/ingest';

export async function benchTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const onExit = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', onExit);
  return {
    dir,
    remove: async () => {
      process.off('exit', onExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh influxd (Debian's 1.6) on a free port in `dataDir`, killed if the bench exits first. */
export async function startBenchInfluxd(dataDir: string): Promise<ManagedInfluxd> {
  // No authentication: the bench queries it directly, as the peer pipelines it is compared with do.
  const influxd = await startManagedInfluxd({ dataDir, httpPort: 0, auth: false });
  const pid = influxd.pid;
  const onExit = (): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    url: influxd.url,
    httpPort: influxd.httpPort,
    get pid() {
      return influxd.pid;
    },
    get user() {
      return influxd.user;
    },
    status: () => influxd.status(),
    stop: async () => {
      await influxd.stop();
      process.off('exit', onExit);
    },
    kill: (signal) => influxd.kill(signal),
    restart: () => influxd.restart(),
  };
}
