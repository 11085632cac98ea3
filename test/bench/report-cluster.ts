/** The cluster part of docs/benchmarks.md: its own section, replaced in place by `--only=cluster --write`. */
import type { ClusterBenchResult } from './bench-cluster.ts';

const BEGIN = '<!-- cluster:begin -->';
const END = '<!-- cluster:end -->';
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

export function renderCluster(r: ClusterBenchResult): string {
  const storm = r.storm;
  return [
    BEGIN,
    '## Cluster figures',
    '',
    `Measured by \`npm run bench -- --only=cluster\` (test/bench/bench-cluster.ts) on ${new Date().toISOString()}: ${r.nodes} platform nodes on one`,
    `PostgreSQL, Redis and influxd, ${r.devices.toLocaleString('en-US')} devices in ${r.connectorProcesses} raw-socket device processes (each CONNECT, then SUBSCRIBE to its`,
    'exact `down/command`), as many nodes and device processes as 20,000 open files per process need.',
    '',
    '| Measurement | Result | Notes |',
    '|---|---:|---|',
    `| connected devices | ${r.connected.toLocaleString('en-US')} of ${r.devices.toLocaleString('en-US')} | in ${r.connectSeconds.toFixed(1)} s from a cold cluster (${(r.connected / r.connectSeconds).toFixed(0)} connects/s)${r.firstError ? `; first error: ${r.firstError}` : ''} |`,
    `| nodes' RSS, total | ${mib(r.totalRssKiB)} | per node before → after: ${r.rssBeforeKiB.map((b, i) => `${mib(b)} → ${mib(r.rssAfterKiB[i]!)}`).join('; ')} (no forced GC) |`,
    `| RSS per connection | ${r.perConnectionKiB.toFixed(1)} KiB | growth of the nodes' RSS over the connected devices |`,
    `| reconnect storm | ${storm ? `${storm.seconds.toFixed(1)} s` : 'not measured'} | every node stopped and started again on its folder and ports; ${storm ? `${storm.reconnected.toLocaleString('en-US')} devices connected and subscribed again (${storm.connectsPerSec.toFixed(0)}/s), devices retrying after 1–3 s to the next node; goal < 120 s` : ''} |`,
    `| Redis commands per CONNECT | ${r.redisCommandsPerConnect.toFixed(1)} | lockout lookups, rate bucket, session and subscription, takeover notice (INFO total_commands_processed) |`,
    `| PostgreSQL transactions per CONNECT | ${r.postgresTransactionsPerConnect.toFixed(1)} | secret hash lookup, presence (pg_stat_database) |`,
    END,
  ].join('\n');
}

export function replaceClusterSection(doc: string, section: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a !== -1 && b > a) return `${doc.slice(0, a)}${section}${doc.slice(b + END.length)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}
