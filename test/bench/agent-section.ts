/**
 * The edge agent's section of docs/benchmarks.md, written by `npm run bench -- --only=agent --write`
 * (replaced in place between its markers; the rest of the file is kept): one row per run with the
 * idle RSS and drain ratios against the bare mqtt.js peer of the same run, and their spread.
 */
import type { AgentBenchResult } from './bench-agent.ts';

export const AGENT_SECTION_START = '<!-- agent-bench -->';
export const AGENT_SECTION_END = '<!-- /agent-bench -->';

const mib = (kib: number): string => (kib / 1024).toFixed(1);
const int = (n: number): string => Math.round(n).toLocaleString('en');

export function renderAgentSection(runs: readonly AgentBenchResult[], when: string, loadAvg: string): string {
  const rss = runs.map((r) => r.idle.agentRssKiB / r.idle.peerRssKiB);
  const drain = runs.map((r) => r.drain.readingsPerSec / r.drain.peerReadingsPerSec);
  const spread = (xs: readonly number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  return [
    `## Edge agent: latest \`--only=agent\` run (${runs.length} runs, ${when})`,
    '',
    `\`npm run bench -- --only=agent --write\` (test/bench/bench-agent.ts), load average ${loadAvg}. Each run on a fresh platform; the peer is a bare mqtt.js client process in the same run.`,
    '',
    '| run | idle RSS agent / peer | ratio (goal ≤ 1.2) | drain agent / peer (readings/s) | ratio (goal ≥ 0.8) | idle RSS with an OPC-UA source |',
    '| ---: | --- | ---: | --- | ---: | ---: |',
    ...runs.map(
      (r, i) =>
        `| ${i + 1} | ${mib(r.idle.agentRssKiB)} / ${mib(r.idle.peerRssKiB)} MiB | ${rss[i]!.toFixed(2)} | ${int(r.drain.readingsPerSec)} / ${int(r.drain.peerReadingsPerSec)} (${int(r.drain.readings)}${r.drain.complete ? '' : ', INCOMPLETE'}) | ${drain[i]!.toFixed(2)} | ${r.opcua ? `${mib(r.opcua.agentRssKiB)} MiB` : '—'} |`,
    ),
    '',
    `Idle RSS ratio ${spread(rss)}, drain ratio ${spread(drain)}.`,
    '',
  ].join('\n');
}

/** `doc` with its agent section replaced (or appended). */
export function spliceAgentSection(doc: string, section: string): string {
  const block = `${AGENT_SECTION_START}\n${section}${AGENT_SECTION_END}\n`;
  const a = doc.indexOf(AGENT_SECTION_START);
  const b = doc.indexOf(AGENT_SECTION_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + AGENT_SECTION_END.length + 1);
  return `${doc.trimEnd()}\n\n${block}`;
}
