/** The cluster part of docs/benchmarks.md: its own section, replaced in place by `--only=cluster --write` (throughput: report-cluster-throughput.ts). */
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
    `| reconnect storm | ${storm ? `${storm.seconds.toFixed(1)} s` : 'not measured'} | every node stopped, then all started again at once on their folders and ports; ${storm ? `${storm.reconnected.toLocaleString('en-US')} devices connected and subscribed again (${storm.connectsPerSec.toFixed(0)}/s); the nodes themselves were ready after ${storm.nodesReadySeconds.toFixed(1)} s of it; devices retrying after 1–3 s to the next node; goal < 120 s` : ''} |`,
    `| Redis commands per CONNECT | ${r.redisCommandsPerConnect.toFixed(1)} | rate bucket, aedes' session, subscription and retained lookup, takeover notice; lockouts are mirrored on each node, not read (INFO total_commands_processed) |`,
    `| PostgreSQL transactions per CONNECT | ${r.postgresTransactionsPerConnect.toFixed(2)} | secret hashes (cached per node), presence, rule states, open commands and delivery statistics, each looked up or written in batches (pg_stat_database) |`,
    END,
  ].join('\n');
}

export function replaceClusterSection(doc: string, section: string): string {
  return replaceSection(doc, section, BEGIN, END);
}

function replaceSection(doc: string, section: string, begin: string, end: string): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a !== -1 && b > a) return `${doc.slice(0, a)}${section}${doc.slice(b + end.length)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}
