/** The cluster part of docs/benchmarks.md: its own section, replaced in place by `--only=cluster --write` (throughput: report-cluster-throughput.ts). */
import type { ClusterBenchResult, PhaseCpu } from './bench-cluster.ts';

const BEGIN = '<!-- cluster:begin -->';
const END = '<!-- cluster:end -->';
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

const us = (seconds: number, n: number): string => (n > 0 ? `${Math.round((seconds / n) * 1e6).toLocaleString('en-US')} µs` : '—');

/** What the CPU of a phase says per CONNECT, and the rate two cores would allow if nothing else ran. */
function cpuNotes(cpu: PhaseCpu, connects: number): string {
  const ours = cpu.nodes + cpu.redis + cpu.postgres + cpu.devices;
  return `nodes ${us(cpu.nodes, connects)}, Redis ${us(cpu.redis, connects)}, PostgreSQL ${us(cpu.postgres, connects)}, device processes ${us(cpu.devices, connects)} per CONNECT; the machine was busy ${cpu.machine.toFixed(0)} CPU-s over ${cpu.wallSec.toFixed(0)} s, ${Math.max(0, cpu.machine - ours).toFixed(0)} of them not ours`;
}

export function renderCluster(r: ClusterBenchResult): string {
  const storm = r.storm;
  const fresh = r.connected - r.warmUpDevices;
  const ours = (c: PhaseCpu): number => c.nodes + c.redis + c.postgres + c.devices;
  const cores = 2;
  return [
    BEGIN,
    '## Cluster figures',
    '',
    `Measured by \`npm run bench -- --only=cluster\` (test/bench/bench-cluster.ts) on ${new Date().toISOString()}: ${r.nodes} platform nodes on one`,
    `PostgreSQL, Redis and influxd, ${r.devices.toLocaleString('en-US')} devices in ${r.connectorProcesses} raw-socket device processes, each device doing what the edge agent does`,
    '(a clean-session CONNECT with a QoS 1 last will, then one SUBSCRIBE to its `down/config` and `down/command`), each 500 from a loopback',
    'source address of their own as a real fleet comes from many addresses (from one address the kernel\'s search for a free ephemeral port cost',
    'up to 0.7 ms of CPU per connect past 15,000 connections, charged to the devices on these same cores), as many nodes and',
    `device processes as 20,000 open files per process need; default settings but each node's connection cap (${r.connectionCapPerNode.toLocaleString('en-US')}: the open-file limit less 1,000). The whole part took ${(r.totalSeconds / 60).toFixed(1)} minutes. Memory is read after a full`,
    `GC of each node (through the inspector), from ${r.warmUpDevices} warm-up devices (one-time costs) to all of them. CPU is each process's own (/proc), so the`,
    `rate two otherwise idle cores allow follows from it even on a busy machine. CPU probe (test/bench/cpu-probe.ts, a fixed piece of work; this VM's speed varies over the day, the figures with it): ${r.cpuProbeMs.start} ms before the cold connects${r.cpuProbeMs.storm !== undefined ? `, ${r.cpuProbeMs.storm} ms before the storm` : ''}.`,
    '',
    '| Measurement | Result | Notes |',
    '|---|---:|---|',
    `| connected devices | ${r.connected.toLocaleString('en-US')} of ${r.devices.toLocaleString('en-US')} | in ${r.connectSeconds.toFixed(1)} s from a cold cluster (${(fresh / r.connectSeconds).toFixed(0)} connects/s)${r.firstError ? `; first error: ${r.firstError}` : ''} |`,
    `| nodes' RSS, total | ${mib(r.totalRssKiB)} | after a full GC; per node before → after: ${r.rssBeforeKiB.map((b, i) => `${mib(b)} → ${mib(r.rssAfterKiB[i]!)}`).join('; ')}; before the GC ${mib(r.rssAfterNoGcKiB.reduce((a, b) => a + b, 0))} in all |`,
    `| RSS per connection | ${r.perConnectionKiB.toFixed(1)} KiB | growth of the nodes' RSS (after GC) over the ${fresh.toLocaleString('en-US')} devices connected after the warm-up; V8 heap in use ${r.heapPerConnectionKiB.toFixed(1)} KiB of it |`,
    `| CPU per CONNECT, cold cluster | ${us(ours(r.connectCpu), fresh)} | ${cpuNotes(r.connectCpu, fresh)}; ${cores} idle cores would take ≈ ${Math.round((cores * fresh) / Math.max(1e-9, ours(r.connectCpu))).toLocaleString('en-US')} connects/s |`,
    `| reconnect storm | ${storm ? `${storm.seconds.toFixed(1)} s` : 'not measured'} | ${storm ? `every node stopped at once (SIGTERM, ${storm.stopSeconds.toFixed(1)} s${storm.stopKilled ? ', the slowest killed at the end of its grace' : ''}), then all started again at once on their folders and ports; ${storm.reconnected.toLocaleString('en-US')} of ${r.devices.toLocaleString('en-US')} devices connected and subscribed again (${storm.connectsPerSec.toFixed(0)}/s); the nodes themselves were ready after ${storm.nodesReadySeconds.toFixed(1)} s of it (their start-up: ${storm.startCpuSeconds.toFixed(1)} CPU-s in all); devices retrying with the edge agent's default backoff (1 s doubling to 60 s, equal jitter; their delays had grown while the nodes stopped) to the next node (${storm.failedAttempts.toLocaleString('en-US')} failed attempts${Object.keys(storm.failedAfterReadyBy ?? {}).length > 0 ? `; once every node was ready: ${Object.entries(storm.failedAfterReadyBy).map(([cause, n]) => `${n.toLocaleString('en-US')} ${cause}`).join(', ')}` : '; none once every node was ready'}); devices per node at the end ${(storm.devicesPerNode ?? []).map((n) => n.toLocaleString('en-US')).join(', ')}; refused by the nodes: ${Object.entries(storm.refusedBy ?? {}).map(([code, n]) => `${n.toLocaleString('en-US')} ${code}`).join(', ') || 'none'}; goal < 120 s` : (r.stormSkipped ?? '')} |`,
    ...(storm ? [`| CPU per CONNECT, storm | ${us(ours(storm.cpu), storm.reconnected)} | the nodes' start-up included; ${cpuNotes(storm.cpu, storm.reconnected)} |`] : []),
    `| Redis commands per CONNECT | ${r.redisCommandsPerConnect.toFixed(1)}${storm ? ` (storm ${storm.redisCommandsPerConnect.toFixed(1)})` : ''} | rate bucket, aedes' session (clean-session subscriptions, will written over the old one, inbound QoS 2 store, queued messages), the retained config of both topics in one HMGET, the session's claim (one Lua call whose HGET, HSET and PUBLISH to the node that held the session INFO counts as commands too; a device's first CONNECT also broadcasts the takeover notice); lockouts are mirrored on each node, not read (INFO total_commands_processed) |`,
    `| Redis socket reads per CONNECT | ${r.redisReadsPerConnect.toFixed(1)}${storm ? ` (storm ${storm.redisReadsPerConnect.toFixed(1)})` : ''} | how many writes the nodes' commands reached Redis in (INFO total_reads_processed): commands a node asks while a reply is awaited, or in one turn of its event loop, share one |`,
    `| PostgreSQL transactions per CONNECT | ${r.postgresTransactionsPerConnect.toFixed(2)}${storm ? ` (storm ${storm.postgresTransactionsPerConnect.toFixed(2)})` : ''} | presence, rule states, open commands and delivery statistics, each looked up or written in batches (secret hashes are read with the stations at start) (pg_stat_database) |`,
    ...(r.profile
      ? [
          '',
          `Where a restarted node's CPU went during the storm (\`--cpu-prof\`, the busiest node, ${(r.profile.summary.totalMs / 1000).toFixed(1)} s profiled, ${r.profile.summary.busyPercent.toFixed(0)} % busy): ${r.profile.summary.byArea
            .slice(0, 8)
            .map((a) => `${a.name} ${a.percent.toFixed(0)} %`)
            .join(', ')}.`,
        ]
      : []),
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
