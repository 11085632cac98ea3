/**
 * Bench support: open-file limits. 10,000 idle devices are 10,000 sockets in the broker and in
 * the client process; a child started through `withFdLimit` raises its soft limit first (a
 * shell `ulimit -n`, then `exec`, so the pid stays the program's).
 */
import { execFileSync } from 'node:child_process';

export function fdLimits(): { soft: number; hard: number } {
  const read = (flag: string): number => {
    const v = execFileSync('sh', ['-c', `ulimit ${flag} -n`], { encoding: 'utf8' }).trim();
    return v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  return { soft: read('-S'), hard: read('-H') };
}

/** [command, args] that run `command args…` with a soft fd limit of at least `need` (capped at the hard limit). */
export function withFdLimit(command: string, args: readonly string[], need: number): [string, string[]] {
  const { soft, hard } = fdLimits();
  if (soft >= need) return [command, [...args]];
  const target = Math.min(need, hard);
  return ['sh', ['-c', `ulimit -S -n ${target} && exec "$0" "$@"`, command, ...args]];
}

/**
 * [command, args] that run `command args…` at niceness `nice` (every thread of it: `nice`
 * execs the program, so the pid stays the program's). 0 leaves it as it is.
 */
export function withNice(command: string, args: readonly string[], nice: number): [string, string[]] {
  return nice === 0 ? [command, [...args]] : ['nice', ['-n', String(nice), command, ...args]];
}
