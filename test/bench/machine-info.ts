/** Bench support: the machine the numbers were measured on. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { MOSQUITTO_BIN } from './mosquitto-process.ts';
import { cpuProbeMs } from './cpu-probe.ts';

export interface MachineInfo {
  readonly date: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly influxd: string;
  readonly mosquitto: string;
  /** 1-minute load average at the start: others' tests share this machine. */
  readonly loadAvgStart: number;
  /** CPU ms of a fixed piece of work at the start (cpu-probe.ts): the machine's speed then. */
  readonly cpuProbeMs: number;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    return out.split('\n')[0]?.trim() || 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    influxd: firstLine('influxd', ['version']),
    mosquitto: firstLine(MOSQUITTO_BIN, ['-h']),
    loadAvgStart: Math.round(os.loadavg()[0]! * 100) / 100,
    cpuProbeMs: cpuProbeMs(),
  };
}
