/**
 * Test support: the platform as a separate process — `node ingest/src/main.ts` with `npm start`'s
 * node options, configured only through SHANSHUI_* variables, exactly as `npm start` runs it — so a test can kill it with
 * SIGKILL and start it again on the same data folder and ports.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { envNameOf, freePort } from '@shanshui/ingest';
import { startNodeArgs } from './start-node-args.ts';
import type { ConfigInput } from '@shanshui/ingest';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(REPO_ROOT, 'ingest', 'src', 'main.ts');

export interface ChildPlatformOptions {
  /** Config keys (as in config.ts); passed as SHANSHUI_* variables. Needs fixed `mqttPort` and `httpPort`. */
  readonly config: ConfigInput & { dataDir: string; mqttPort: number; httpPort: number; apiToken: string; host: string };
  /** stdout and stderr of every run are appended here. */
  readonly logFile: string;
}

export class ChildPlatform {
  #opts: ChildPlatformOptions;
  readonly #log: WriteStream;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  /** Every stdio stream of the last run has ended. */
  #closed: Promise<void> = Promise.resolve();
  /** The last few KiB the last run wrote (for an error that names its cause). */
  #recent = '';
  /** Runs started so far. */
  starts = 0;

  constructor(options: ChildPlatformOptions) {
    this.#opts = options;
    this.#log = createWriteStream(options.logFile, { flags: 'a' });
  }

  get mqttUrl(): string {
    return `mqtt://${this.#opts.config.host}:${this.#opts.config.mqttPort}`;
  }

  get httpUrl(): string {
    return `http://${this.#opts.config.host}:${this.#opts.config.httpPort}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    const c = this.#child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** Changes config keys for the next run (e.g. another number of accept workers on the same data folder). */
  reconfigure(changes: Omit<ConfigInput, 'dataDir' | 'mqttPort' | 'httpPort' | 'apiToken' | 'host'>): void {
    this.#opts = { ...this.#opts, config: { ...this.#opts.config, ...changes } };
  }

  /**
   * Starts a run and resolves once `/healthz` answers (200 or 503); throws if the process exits
   * first, with the last lines it logged. A first run whose free port another test took before the
   * platform bound it (tests run in parallel) starts again on other free ports.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#startOnce(timeoutMs);
      } catch (err) {
        await this.#closed;
        const logged = this.#recent;
        if (this.starts === attempt && attempt < 3 && /is already in use/.test(logged)) {
          this.#opts = { ...this.#opts, config: { ...this.#opts.config, mqttPort: await freePort(), httpPort: await freePort() } };
          continue;
        }
        const tail = logged.trim().split('\n').slice(-5).join('\n');
        throw new Error(`${err instanceof Error ? err.message : String(err)}${tail ? `\nlast lines logged:\n${tail}` : ''}`, { cause: err });
      }
    }
  }

  async #startOnce(timeoutMs: number): Promise<void> {
    if (this.running) throw new Error('child platform already running');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHANSHUI_')) env[k] = v;
    for (const [k, v] of Object.entries(this.#opts.config)) if (v !== undefined) env[envNameOf(k)] = String(v);
    this.starts++;
    this.#log.write(`\n--- start #${this.starts} ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [...startNodeArgs(), MAIN], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    // Should the test process itself die, the platform must not outlive it.
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    this.#recent = '';
    const keep = (chunk: Buffer): void => void (this.#recent = (this.#recent + chunk.toString('utf8')).slice(-8192));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#closed = new Promise((resolve) => child.once('close', () => resolve()));
    let exit: string | undefined;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exit = `exited (${code ?? signal})`;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exit) throw new Error(`platform ${exit} before it answered /healthz — see ${this.#opts.logFile}`);
      try {
        const res = await fetch(`${this.httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 503) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill9();
        throw new Error(`platform did not answer /healthz within ${timeoutMs} ms — see ${this.#opts.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill. Resolves once it is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.#child!.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (clean stop), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    const child = this.#child!;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops the process and closes the log. */
  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  /** What the runs logged (JSON lines from pino, plus anything on stderr). */
  logText(): Promise<string> {
    return readFile(this.#opts.logFile, 'utf8').catch(() => '');
  }
}
