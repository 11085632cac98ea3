/**
 * Bench support: what the kernel says about processes and the machine — resident memory
 * (VmRSS) and CPU time from /proc, so a benchmark can say which process used the cores and
 * how busy the shared machine was with work that is not ours.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (USER_HZ), the unit of /proc CPU times. */
function ticksPerSec(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** VmRSS of a process in KiB, or undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process has used (all its threads), or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) … utime is field 14 of the line, so index 11 here; stime 12.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSec();
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores) since boot. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / ticksPerSec(), total: (busy + idle + iowait) / ticksPerSec() };
}

export interface CpuReport {
  readonly wallSec: number;
  /** Cores used on average by each named process over the window (1.0 = one core busy). */
  readonly cores: Readonly<Record<string, number>>;
  /** Cores used on average by the whole machine. */
  readonly machineCores: number;
  /** Machine minus our processes: the load other people put on the shared machine. */
  readonly otherCores: number;
}

/**
 * CPU use of a set of processes over a window. Processes can be added after the start (a
 * child started later); their time counts from when they were added.
 */
export class CpuMeter {
  readonly #startWall = performance.now();
  readonly #startMachine = machineCpuSeconds();
  readonly #pids = new Map<string, { pid: number; start: number; last: number }>();

  constructor(processes: Readonly<Record<string, number>> = {}) {
    for (const [name, pid] of Object.entries(processes)) this.add(name, pid);
  }

  add(name: string, pid: number): void {
    const now = cpuSeconds(pid) ?? 0;
    this.#pids.set(name, { pid, start: now, last: now });
  }

  /** Samples the processes' times (call it before a process you measure exits). */
  sample(): void {
    for (const p of this.#pids.values()) p.last = cpuSeconds(p.pid) ?? p.last;
  }

  stop(): CpuReport {
    this.sample();
    const wallSec = (performance.now() - this.#startWall) / 1000;
    const m = machineCpuSeconds();
    const machineCores = (m.busy - this.#startMachine.busy) / wallSec;
    const cores: Record<string, number> = {};
    let ours = 0;
    for (const [name, p] of this.#pids) {
      cores[name] = (p.last - p.start) / wallSec;
      ours += cores[name];
    }
    return { wallSec, cores, machineCores, otherCores: Math.max(0, machineCores - ours) };
  }
}
