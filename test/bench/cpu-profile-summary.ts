/**
 * Bench support: what a V8 `.cpuprofile` (node --cpu-prof) says dominates — self time by
 * function and by where the code lives (our packages, a dependency in node_modules, Node's own
 * internals, the garbage collector, idle).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileShare {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Percent of the profile's time not idle. */
  readonly busyPercent: number;
  readonly byArea: readonly ProfileShare[];
  readonly byFunction: readonly ProfileShare[];
}

/** Where a function lives: `aedes`, `ingest (ours)`, `node:internal`, `(garbage collector)`… */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? `node:${url.split('/')[1] ?? 'internal'}` : url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const ours = /\/(models|broker|ingest|edge-agent)\/src\//.exec(url);
  return ours ? `${ours[1]} (ours)` : url;
}

export async function summariseCpuProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
  });
  const area = new Map<string, number>();
  const fn = new Map<string, number>();
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
    const short = url ? url.replace(/^file:\/\/.*?\/(node_modules|models|broker|ingest|edge-agent)\//, '$1/') : '';
    const key = `${functionName || '(anonymous)'}${short ? ` ${short}:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
  }
  const busy = totalMs - idleMs;
  const shares = (m: Map<string, number>): ProfileShare[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, percent: busy > 0 ? (100 * ms) / busy : 0 }));
  return { totalMs, busyPercent: totalMs > 0 ? (100 * busy) / totalMs : 0, byArea: shares(area), byFunction: shares(fn) };
}
