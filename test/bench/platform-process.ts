/**
 * Bench support: the platform as its own process — `node ingest/src/main.ts` with `npm start`'s
 * node options, configured by SHANSHUI_* variables as `npm start` runs it — so its CPU and memory are its own and the load
 * generator never shares its event loop.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { envNameOf, freePort } from '@shanshui/ingest';
import type { ConfigInput } from '@shanshui/ingest';
import { withFdLimit } from './fd-limit.ts';
import { sleep } from './progress.ts';
import { metricValue, metricValuesBy } from '../support/prometheus-text.ts';
import { startNodeArgs } from '../support/start-node-args.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(REPO_ROOT, 'ingest', 'src', 'main.ts');

export interface PlatformProcessOptions {
  readonly dataDir: string;
  readonly influxUrl: string;
  /** More config keys (passed as SHANSHUI_* variables). */
  readonly config?: ConfigInput;
  /** Node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Open the inspector on a free local port so `collectGarbage()` works (memory measurements). */
  readonly inspector?: boolean;
  /** Open files the process needs (sockets + files). */
  readonly fdNeed?: number;
  readonly logFile: string;
  /** Listen on these ports (a restart on the same ports); default: free ones. */
  readonly mqttPort?: number;
  readonly httpPort?: number;
  /** Give up when /healthz has not answered after this long, ms. Default 60000. */
  readonly readyTimeoutMs?: number;
}

export class PlatformProcess {
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly apiToken: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<string>;
  #inspectorUrl: string | undefined;

  private constructor(child: ChildProcess, mqttPort: number, httpPort: number, apiToken: string) {
    this.#child = child;
    this.mqttPort = mqttPort;
    this.httpPort = httpPort;
    this.apiToken = apiToken;
    this.#exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(`exited (${code ?? signal})`)));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  }

  static async start(o: PlatformProcessOptions): Promise<PlatformProcess> {
    const mqttPort = o.mqttPort ?? (await freePort());
    const httpPort = o.httpPort ?? (await freePort());
    const apiToken = 'bench-admin-token-0123456789';
    const config: Record<string, unknown> = {
      dataDir: o.dataDir,
      host: '127.0.0.1',
      mqttPort,
      httpPort,
      apiToken,
      influxUrl: o.influxUrl,
      logLevel: 'warn',
      scryptCost: 1024,
      maxMessagesPerSec: 1_000_000,
      maxMessagesBurst: 1_000_000,
      ...o.config,
    };
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHANSHUI_')) env[k] = v;
    for (const [k, v] of Object.entries(config)) if (v !== undefined) env[envNameOf(k)] = String(v);
    // As `npm start` runs it (its node options: V8's helper pool sized to the cores), then the bench's own flags.
    const nodeArgs = [...startNodeArgs(), ...(o.nodeArgs ?? []), ...(o.inspector ? ['--inspect=127.0.0.1:0'] : [])];
    const [cmd, args] = withFdLimit(process.execPath, [...nodeArgs, MAIN], o.fdNeed ?? 1024);
    const log = createWriteStream(o.logFile, { flags: 'a' });
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const p = new PlatformProcess(child, mqttPort, httpPort, apiToken);
    if (o.inspector) {
      let seen = '';
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString('utf8');
        const m = /Debugger listening on (ws:\/\/\S+)/.exec(seen);
        if (m) {
          p.#inspectorUrl = m[1];
          child.stderr?.off('data', onData);
        }
      };
      child.stderr?.on('data', onData);
    }
    let exit: string | undefined;
    p.#exited.then((e) => (exit = e), () => {});
    const readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exit) throw new Error(`platform ${exit} before /healthz answered: ${await lastLogMessage(o.logFile)}`);
      try {
        const res = await fetch(`${p.httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 503) return p;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`platform did not answer /healthz within ${readyTimeoutMs / 1000} s: ${await lastLogMessage(o.logFile)}`);
      }
      await sleep(100);
    }
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  /**
   * A full garbage collection in the platform, through the inspector (HeapProfiler.collectGarbage),
   * so a memory reading shows live data rather than garbage a scavenge has not reached yet.
   */
  async collectGarbage(): Promise<void> {
    const url = this.#inspectorUrl;
    if (!url) throw new Error('platform started without the inspector');
    const ws = new WebSocket(url);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.addEventListener('open', () => resolve(), { once: true });
        ws.addEventListener('error', () => reject(new Error(`inspector ${url}: connection failed`)), { once: true });
      });
      for (let id = 1; id <= 2; id++) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('inspector: collectGarbage timed out')), 30_000);
          const onMessage = (e: MessageEvent): void => {
            const msg = JSON.parse(String(e.data)) as { id?: number; error?: { message: string } };
            if (msg.id !== id) return;
            clearTimeout(timer);
            ws.removeEventListener('message', onMessage);
            if (msg.error) reject(new Error(`inspector: ${msg.error.message}`));
            else resolve();
          };
          ws.addEventListener('message', onMessage);
          ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
        });
      }
    } finally {
      ws.close();
    }
  }

  /** A counter or gauge from /metrics (summed over its label sets; 0 when absent). */
  async metric(name: string): Promise<number> {
    return metricValue(await this.#metricsText(), name) ?? 0;
  }

  /** A labelled counter from /metrics, by the value of `label` (e.g. refusals by code). */
  async metricBy(name: string, label: string): Promise<Record<string, number>> {
    return metricValuesBy(await this.#metricsText(), name, label);
  }

  async #metricsText(): Promise<string> {
    const res = await fetch(`${this.httpUrl}/metrics`, { headers: { authorization: `Bearer ${this.apiToken}` }, signal: AbortSignal.timeout(10_000) });
    return res.text();
  }

  /** SIGTERM (clean stop; a --cpu-prof profile is written then), SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const c = this.#child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The last thing the platform logged (pino's `msg`, or the raw line), for an error message: the log's folder is removed with the bench's temp folder. */
async function lastLogMessage(file: string): Promise<string> {
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim() !== '');
  const last = lines.at(-1);
  if (!last) return '(nothing logged)';
  try {
    const parsed = JSON.parse(last) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : last.slice(0, 500);
  } catch {
    return last.slice(0, 500);
  }
}
