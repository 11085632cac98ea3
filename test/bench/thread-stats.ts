/**
 * Bench support: where a process's cores go, thread by thread, from /proc/PID/task — the main
 * thread (is it saturated?), the accept worker threads, V8's helper threads (parallel and
 * concurrent GC, background compilation: `V8Worker`), libuv's thread pool (fsync and file I/O:
 * `libuv-worker`) and the rest.
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

/** Cores by thread group of one process over a window (threads started in it count from zero; threads that ended in it are lost). */
export class ThreadMeter {
  readonly #pid: number;
  readonly #start: Map<number, { group: ThreadGroup; seconds: number }>;
  readonly #startWall = performance.now();

  constructor(pid: number) {
    this.#pid = pid;
    this.#start = threadTimes(pid);
  }

  stop(): Partial<Record<ThreadGroup, number>> {
    const wallSec = (performance.now() - this.#startWall) / 1000;
    const out: Partial<Record<ThreadGroup, number>> = {};
    for (const [tid, now] of threadTimes(this.#pid)) {
      const used = now.seconds - (this.#start.get(tid)?.seconds ?? 0);
      out[now.group] = (out[now.group] ?? 0) + used / wallSec;
    }
    return out;
  }
}
