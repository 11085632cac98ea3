/**
 * Bench support: where a process's cores go, thread by thread, from /proc/PID/task — the main
 * thread (is it saturated?), the accept worker threads, V8's helper threads (parallel and
 * concurrent GC, background compilation: `V8Worker`), libuv's thread pool (fsync and file I/O:
 * `libuv-worker`) and the rest. Also how long the main thread waited, runnable, for a core
 * (/proc/PID/task/PID/schedstat, its second field): CPU time alone cannot tell a main thread that
 * idles from one that is ready to run but finds both cores taken.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export type ThreadGroup = 'main' | 'accept workers' | 'V8 helpers (GC, compiler)' | 'libuv pool (fsync, files)' | 'other threads';

let ticks: number | undefined;
function ticksPerSec(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

function groupOf(pid: number, tid: number, comm: string): ThreadGroup {
  if (tid === pid) return 'main';
  if (comm.startsWith('shanshui-accept')) return 'accept workers';
  if (comm.startsWith('V8Worker') || comm.startsWith('DelayedTaskSche')) return 'V8 helpers (GC, compiler)';
  if (comm.startsWith('libuv-worker')) return 'libuv pool (fsync, files)';
  return 'other threads';
}

/** CPU seconds of each thread of `pid` now, by thread id. */
function threadTimes(pid: number): Map<number, { group: ThreadGroup; seconds: number }> {
  const out = new Map<number, { group: ThreadGroup; seconds: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), { group: groupOf(pid, Number(t), comm), seconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSec() });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Nanoseconds the thread `tid` of `pid` has waited on a run queue (ready to run, no core free), or undefined. */
function runQueueWaitNs(pid: number, tid: number): number | undefined {
  try {
    const wait = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(wait) ? wait : undefined;
  } catch {
    return undefined;
  }
}

/** Cores by thread group of one process over a window (threads started in it count from zero; threads that ended in it are lost). */
export class ThreadMeter {
  readonly #pid: number;
  readonly #start: Map<number, { group: ThreadGroup; seconds: number }>;
  readonly #startWall = performance.now();
  readonly #startWaitNs: number | undefined;
  /** After `stop`: the share of the window the main thread spent ready to run but waiting for a core (0–1), when the kernel tells. */
  mainWaiting: number | undefined;

  constructor(pid: number) {
    this.#pid = pid;
    this.#start = threadTimes(pid);
    this.#startWaitNs = runQueueWaitNs(pid, pid);
  }

  stop(): Partial<Record<ThreadGroup, number>> {
    const wallSec = (performance.now() - this.#startWall) / 1000;
    const waitNs = runQueueWaitNs(this.#pid, this.#pid);
    this.mainWaiting = waitNs !== undefined && this.#startWaitNs !== undefined ? (waitNs - this.#startWaitNs) / 1e9 / wallSec : undefined;
    const out: Partial<Record<ThreadGroup, number>> = {};
    for (const [tid, now] of threadTimes(this.#pid)) {
      const used = now.seconds - (this.#start.get(tid)?.seconds ?? 0);
      out[now.group] = (out[now.group] ?? 0) + used / wallSec;
    }
    return out;
  }
}
