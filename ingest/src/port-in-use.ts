/**
 * A listener whose port is taken (Debian's mosquitto service on 1883, another web server on
 * 8080) as one line a person can act on: which port, who holds it when the machine says
 * (Linux /proc: the process listening on it; as root for other users' processes), and the
 * setting that moves ours.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Config, ConfigKey } from './config.ts';
import { envNameOf } from './config.ts';

const LISTENERS: ReadonlyArray<{ key: ConfigKey; what: string; port: (c: Config) => number | undefined }> = [
  { key: 'mqttPort', what: 'MQTT', port: (c) => c.listeners.mqttPort },
  { key: 'mqttsPort', what: 'MQTT over TLS', port: (c) => c.listeners.mqttsPort },
  { key: 'wsPort', what: 'MQTT over WebSocket', port: (c) => c.listeners.wsPort },
  { key: 'httpPort', what: 'HTTP API', port: (c) => c.listeners.httpPort },
  { key: 'httpsPort', what: 'HTTPS API', port: (c) => c.listeners.httpsPort },
  { key: 'influxManagedPort', what: 'managed InfluxDB', port: (c) => c.influx.managedPort },
];

/** The sentence for an EADDRINUSE error of one of the platform's listeners; undefined for any other error. */
export function describePortInUse(err: unknown, config: Config): string | undefined {
  const e = err as { code?: unknown; port?: unknown; cause?: unknown };
  if (e?.code !== 'EADDRINUSE') return e?.cause ? describePortInUse(e.cause, config) : undefined;
  const port = typeof e.port === 'number' ? e.port : undefined;
  const listener = LISTENERS.find((l) => port !== undefined && l.port(config) === port);
  const holder = port !== undefined ? portHolder(port) : undefined;
  const setting = listener ? envNameOf(listener.key) : undefined;
  return [
    `${listener?.what ?? 'a'} port ${port ?? '?'} is already in use${holder ? `, held by ${holder}` : ''}.`,
    setting ? `Move the platform's with ${setting}=<another port> (0 picks a free one)` : 'Move the platform’s listener to another port',
    port === 1883 ? 'or stop the other broker (Debian: systemctl stop mosquitto).' : 'or stop the other program.',
  ].join(' ');
}

/** `name (pid N)` of the process listening on TCP `port`, when /proc tells; undefined elsewhere. */
export function portHolder(port: number): string | undefined {
  try {
    const inodes = new Set<string>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        // local_address is HEXIP:HEXPORT; state 0A is LISTEN; column 9 is the socket's inode.
        if (cols.length > 9 && cols[3] === '0A' && parseInt(cols[1]!.split(':')[1] ?? '', 16) === port) inodes.add(cols[9]!);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && inodes.has(m[1]!)) {
          // The program's own name (argv[0]); `comm` may be a thread's name (Node's says MainThread).
          const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
          const name = argv0.split('/').pop() || readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          return `${name} (pid ${pid})`;
        }
      }
    }
  } catch {
    // Not Linux, or /proc not readable: the port alone is still said.
  }
  return undefined;
}
