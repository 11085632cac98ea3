/**
 * The edge agent: sources → durable buffer → MQTT uplink, plus remote config, commands,
 * heartbeat and last will. `createAgent(options)` opens and starts everything; `stop()`
 * closes everything it opened. The path of a reading, in order:
 * 1. a source (HJ 212 / SL 651 listener, OPC-UA subscription, simulator) hands over readings;
 * 2. `take`: converted to the wire form and committed to the buffer (fsync) — only then does
 *    the source acknowledge its device (HJ 212 9014, SL 651 ACK);
 * 3. the uplink publishes them at QoS 1 and deletes them from the buffer on PUBACK.
 * Events (`config_applied`, `config_rejected`, `command_result`) travel the same durable path
 * with urgent priority, on `up/events`.
 */
import path from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import * as z from 'zod';
import { MAX_VALUES_PER_READING } from '@shanshui/models/edge';
import type { AgentConfig } from '@shanshui/models/edge';
import { AgentError, describeIssues } from './errors.ts';
import { ReadingBuffer } from './buffer/reading-buffer.ts';
import type { BufferItemInput, Priority, ReadingBufferStats } from './buffer/reading-buffer.ts';
import { MqttUplink } from './uplink/mqtt-uplink.ts';
import type { MqttUplinkStats } from './uplink/mqtt-uplink.ts';
import type { UplinkProfile } from './uplink/uplink-options.ts';
import type { WireReading } from './uplink/readings-packer.ts';
import { ConfigFile } from './config/config-file.ts';
import { checkAgentConfig, defaultAgentConfig, parseConfigPayload } from './config/remote-config.ts';
import { isExpired, parseCommandPayload } from './config/command-message.ts';
import { ensurePrivateDir, readOptionalFile } from './config/private-file.ts';
import { AgentCredentialsSchema, BUFFER_FILE, CONFIG_FILE, PLATFORM_CA_FILE, loadCredentials } from './credentials.ts';
import type { AgentCredentials } from './credentials.ts';
import { SourceSet } from './sources/source-set.ts';
import type { CommandOutcome, StatValue } from './sources/source-set.ts';
import type { SourceReading } from './sources/source-reading.ts';

/** Reported as `agent_version` in every heartbeat. */
export const AGENT_VERSION = '0.1.0';

export const AGENT_DEFAULTS = {
  /** Most readings per MQTT message. */
  maxReadingsPerMessage: 500,
  /** Messages sent and not yet PUBACKed. */
  maxInflight: 8,
  /** Command ids remembered to ignore QoS 1 redeliveries. */
  rememberCommands: 1000,
};

const logger = z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function', 'a pino logger');

export const AgentOptionsSchema = z.strictObject({
  /** The agent's folder: credentials.json, config.json, buffer.db, pki/. Created 0700. Required. */
  dir: z.string().min(1),
  /** Device credentials. Default: `{dir}/credentials.json` (written by `provision`). */
  credentials: AgentCredentialsSchema.optional(),
  /** Config to run when `{dir}/config.json` holds none. Default: version 0, no sources. */
  config: z.unknown().optional(),
  /** Overrides the broker URL of the credentials (e.g. a local bridge). Default none. */
  mqttUrl: z.string().optional(),
  /** PEM CA for the platform's TLS certificate. Default: `{dir}/platform-ca.pem` (stored by `provision --ca`), else system CAs. */
  ca: z.string().optional(),
  /** Folder of the OPC-UA client certificate store. Default `{dir}/pki`. */
  pkiDir: z.string().optional(),
  maxReadingsPerMessage: z.number().int().min(1).max(1000).default(AGENT_DEFAULTS.maxReadingsPerMessage),
  maxInflight: z.number().int().min(1).max(1000).default(AGENT_DEFAULTS.maxInflight),
  /** First / largest reconnect delay, ms. Default: by profile (5g 1 s–60 s, nbiot 5 s–10 min). */
  reconnectMinMs: z.number().int().min(1).optional(),
  reconnectMaxMs: z.number().int().min(1).optional(),
  /** Reported as agent_version. Default AGENT_VERSION. */
  agentVersion: z.string().default(AGENT_VERSION),
  /** pino logger; children per component; node-opcua's own lines go to it too once an OPC-UA source loads (process-wide). Default silent. */
  logger: logger.optional(),
});
export type AgentOptions = z.input<typeof AgentOptionsSchema>;

export interface AgentStats {
  stationId: string;
  configVersion: number;
  uptimeSec: number;
  /** Readings committed to the buffer. */
  readingsTaken: number;
  /** Hand-overs the buffer refused (the source was not acknowledged). */
  takeErrors: number;
  configsApplied: number;
  configsRejected: number;
  lastConfigRejection?: string;
  commandsExecuted: number;
  buffer: ReadingBufferStats;
  uplink: MqttUplinkStats;
  /** Flat per-source counters, e.g. `source_hj212_bad_crc`. */
  sources: Record<string, StatValue>;
}

export interface Agent {
  readonly stationId: string;
  /** The config running now (the last good one). */
  config(): AgentConfig;
  stats(): AgentStats;
  /** Commits readings to the buffer (what sources call); throws when the buffer refuses. */
  take(readings: SourceReading[], priority?: Priority): void;
  /** Queues an event for `up/events` (urgent, durable). */
  reportEvent(event: Record<string, string | number | boolean>): void;
  /** Publishes a heartbeat now (if connected). */
  heartbeat(): boolean;
  stop(): Promise<void>;
}

/** SourceReading → wire readings: epoch-ms ts, `ok` values as bare numbers, ≤ 64 values each. */
export function toWireReadings(reading: SourceReading): WireReading[] {
  const out: WireReading[] = [];
  let current: WireReading | undefined;
  for (const [metric, { value, quality }] of Object.entries(reading.values)) {
    if (!Number.isFinite(value)) continue;
    if (!current || Object.keys(current.values).length >= MAX_VALUES_PER_READING) {
      current = { ts: reading.ts.getTime(), values: {} };
      out.push(current);
    }
    current.values[metric] = quality === 'ok' ? value : { v: value, q: quality };
  }
  return Number.isFinite(reading.ts.getTime()) ? out : [];
}

/** Ids of the commands whose `command_result` event is still in the buffer, undelivered. */
function bufferedCommandIds(buffer: ReadingBuffer): string[] {
  const ids: string[] = [];
  for (let afterId = 0; ; ) {
    const page = buffer.peek('urgent', afterId, 500);
    if (page.length === 0) return ids;
    for (const item of page) {
      if (item.kind !== 'events') continue;
      let event: unknown;
      try {
        event = JSON.parse(item.body);
      } catch {
        continue;
      }
      const { type, commandId } = (event ?? {}) as { type?: unknown; commandId?: unknown };
      if (type === 'command_result' && typeof commandId === 'string') ids.push(commandId);
    }
    afterId = page[page.length - 1]!.id;
  }
}

const profileOf = (c: AgentConfig): UplinkProfile => ({ ...c.uplink, ...(c.buffer.drainRatePerSec !== undefined ? { drainRatePerSec: c.buffer.drainRatePerSec } : {}) });

export async function createAgent(options: AgentOptions): Promise<Agent> {
  const parsed = AgentOptionsSchema.safeParse(options);
  if (!parsed.success) throw new AgentError('EDGE_ERR_OPTIONS_INVALID', `agent: ${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
  const o = parsed.data;
  const dir = path.resolve(o.dir);
  ensurePrivateDir(dir);
  const credentials: AgentCredentials = o.credentials ?? loadCredentials(dir);
  const ca = o.ca ?? readOptionalFile(path.join(dir, PLATFORM_CA_FILE));
  const stationId = credentials.stationId;
  const log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'agent', stationId });
  const startedAt = Date.now();

  const configFile = new ConfigFile(path.join(dir, CONFIG_FILE), log);
  let current: AgentConfig = configFile.load() ?? defaultAgentConfig();
  if (current.version === 0 && current.sources.length === 0 && o.config !== undefined) {
    const check = checkAgentConfig(o.config);
    if (!check.ok) throw new AgentError('EDGE_ERR_CONFIG_INVALID', `options.config: ${check.reason}`);
    current = check.config;
  }

  const counters = { readingsTaken: 0, takeErrors: 0, configsApplied: 0, configsRejected: 0, commandsExecuted: 0 };
  let lastRejection: string | undefined;
  const buffer = new ReadingBuffer({ file: path.join(dir, BUFFER_FILE), quotaBytes: current.buffer.quotaBytes });
  let uplink: MqttUplink | undefined;

  const take = (readings: SourceReading[], priority: Priority = 'routine'): void => {
    // Each row keeps its station (a child's, or none: our own), so the uplink publishes it on that station's topic.
    const wire: WireReading[] = [];
    const items: BufferItemInput[] = [];
    for (const reading of readings) {
      const station = reading.stationId !== undefined && reading.stationId !== stationId ? { station: reading.stationId } : {};
      for (const r of toWireReadings(reading)) {
        wire.push(r);
        items.push({ priority, kind: 'readings', body: JSON.stringify(r), ...station });
      }
    }
    if (wire.length === 0) return;
    try {
      buffer.append(items);
    } catch (err) {
      counters.takeErrors++;
      log.error({ err }, 'buffer refused readings; the source will not acknowledge them');
      throw err;
    }
    counters.readingsTaken += wire.length;
    // Debug only: fault tests read these lines to know exactly what was taken before a kill.
    if (log.isLevelEnabled('debug')) log.debug({ ts: wire.map((r) => r.ts), priority }, 'readings taken');
    uplink?.wake();
  };

  const reportEvent = (event: Record<string, string | number | boolean>): void => {
    try {
      buffer.append([{ priority: 'urgent', kind: 'events', body: JSON.stringify(event) }]);
      uplink?.wake();
    } catch (err) {
      log.error({ err, event }, 'event could not be buffered');
    }
  };

  const sources = new SourceSet({
    stationId,
    domain: credentials.domain,
    pkiDir: o.pkiDir ?? path.join(dir, 'pki'),
    logger: o.logger ?? pino({ level: 'silent' }),
    sink: (readings) => take(readings),
    reportEvent: (event) => reportEvent(event),
    // The program's logger also takes node-opcua's console lines, set when an OPC-UA source first loads.
    ...(o.logger ? { opcuaLogs: o.logger } : {}),
  });

  const statusFields = (): Record<string, string | number | boolean> => {
    const b = buffer.stats();
    const u = uplink?.stats();
    return {
      online: true,
      agent_version: o.agentVersion,
      uptime_sec: Math.round((Date.now() - startedAt) / 1000),
      config_version: current.version,
      buffer_depth: b.depth,
      buffer_bytes: b.bytes,
      buffer_quota_bytes: b.quotaBytes,
      buffer_dropped: b.dropped,
      readings_taken: counters.readingsTaken,
      uplink_profile: current.uplink.profile,
      uplink_connects: u?.connects ?? 0,
      uplink_disconnects: u?.disconnects ?? 0,
      ...(u && u.parkedStations.length > 0 ? { uplink_parked_stations: u.parkedStations.join(',') } : {}),
      rss_bytes: process.memoryUsage.rss(),
      ...sources.stats(),
    };
  };
  const heartbeat = (): boolean => uplink?.publishStatus(statusFields()) ?? false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const startHeartbeat = (): void => {
    clearInterval(heartbeatTimer);
    heartbeatTimer = setInterval(heartbeat, current.heartbeatSec * 1000);
  };

  const reject = (reason: string, version: number | undefined): void => {
    counters.configsRejected++;
    const key = `${version}:${reason}`;
    log.warn({ version, reason, running: current.version }, 'config rejected; keeping the last good one');
    if (key === lastRejection) return; // the retained config again, after a reconnect
    lastRejection = key;
    reportEvent({ type: 'config_rejected', ...(version !== undefined ? { version } : {}), reason: reason.slice(0, 1000), running_version: current.version });
  };

  const applyConfig = async (next: AgentConfig): Promise<void> => {
    if (next.version === current.version && JSON.stringify(next) === JSON.stringify(current)) return;
    if (next.version < current.version) return reject(`version ${next.version} is older than the running version ${current.version}`, next.version);
    const result = await sources.apply(next.sources);
    if (!result.ok) return reject(result.reason, next.version);
    buffer.setQuota(next.buffer.quotaBytes);
    const heartbeatChanged = next.heartbeatSec !== current.heartbeatSec;
    current = next;
    uplink?.setProfile(profileOf(next));
    uplink?.unpark(); // the new config may map devices to stations the platform accepts again
    if (heartbeatChanged) startHeartbeat();
    configFile.save(next);
    counters.configsApplied++;
    lastRejection = undefined;
    log.info({ version: next.version, sources: next.sources.map((s) => s.kind) }, 'config applied');
    reportEvent({ type: 'config_applied', version: next.version });
  };

  // Configs apply one at a time, in arrival order.
  let configChain: Promise<void> = Promise.resolve();
  const onConfig = (payload: Buffer): void => {
    configChain = configChain.then(async () => {
      const check = parseConfigPayload(payload);
      if (!check.ok) return reject(check.reason, check.version);
      await applyConfig(check.config);
    }).catch((err: unknown) => log.error({ err }, 'config handling failed'));
  };

  // Answers still waiting in the buffer (the uplink went down before they were delivered, then
  // the agent restarted): the platform has no answer, so it sends those commands again — they
  // must not run twice (a pump started twice). The buffered answer completes them.
  const seenCommands = new Set<string>(bufferedCommandIds(buffer));
  const onCommand = (payload: Buffer): void => {
    const parsedCommand = parseCommandPayload(payload);
    if (!parsedCommand.ok) {
      log.warn({ reason: parsedCommand.reason }, 'invalid command');
      if (parsedCommand.id) reportEvent({ type: 'command_result', commandId: parsedCommand.id, ok: false, error: parsedCommand.reason.slice(0, 1000) });
      return;
    }
    const command = parsedCommand.command;
    if (seenCommands.has(command.id)) return; // QoS 1 redelivery
    seenCommands.add(command.id);
    if (seenCommands.size > AGENT_DEFAULTS.rememberCommands) seenCommands.delete(seenCommands.values().next().value!);
    const finish = (outcome: CommandOutcome): void => {
      answer(outcome);
      try {
        buffer.commands.answered(command.id);
      } catch (err) {
        log.warn({ err, commandId: command.id }, 'command start record not cleared (pruned after a week)');
      }
    };
    const answer = (outcome: CommandOutcome): void => {
      counters.commandsExecuted++;
      log.info({ commandId: command.id, name: command.name, ok: outcome.ok, error: outcome.error }, 'command done');
      const result = outcome.result === undefined ? undefined : JSON.stringify(outcome.result);
      reportEvent({
        type: 'command_result',
        commandId: command.id,
        name: command.name,
        ok: outcome.ok,
        ...(outcome.error ? { error: outcome.error.slice(0, 1000) } : {}),
        ...(result !== undefined ? { result: result.slice(0, 1000) } : {}),
      });
    };
    if (isExpired(command, Date.now())) return finish({ ok: false, error: 'expired' });
    if (command.name === 'ping') return finish({ ok: true, result: { pong: true, uptimeSec: Math.round((Date.now() - startedAt) / 1000) } });
    if (command.name === 'report_status') return finish({ ok: heartbeat() });
    const runner = sources.commandRunner(command.name);
    if (!runner?.executeCommand) return finish({ ok: false, error: `unknown command ${command.name}` });
    // Started before, answer never buffered: the agent died while it ran. It may have acted —
    // never act twice on equipment; say so, and let the operator check and send it again.
    if (buffer.commands.wasStarted(command.id)) {
      return finish({ ok: false, error: 'interrupted: the agent restarted while executing this command; the equipment state is unknown — check it before sending again (执行中断，设备状态未知)' });
    }
    try {
      buffer.commands.started(command.id);
    } catch (err) {
      return answer({ ok: false, error: `not executed: the buffer cannot record it (${err instanceof Error ? err.message : String(err)})` });
    }
    runner.executeCommand(command.name, command.args).then(finish, (err: unknown) => finish({ ok: false, error: err instanceof Error ? err.message : String(err) }));
  };

  await sources.apply(current.sources, true);
  uplink = new MqttUplink({
    deviceId: credentials.clientId,
    password: credentials.password,
    url: o.mqttUrl ?? credentials.mqtt.tcp,
    ...(credentials.mqtt.tls && !o.mqttUrl ? { tlsUrl: credentials.mqtt.tls } : {}),
    ...(ca ? { ca } : {}),
    buffer,
    profile: profileOf(current),
    maxReadingsPerMessage: o.maxReadingsPerMessage,
    maxInflight: o.maxInflight,
    ...(o.reconnectMinMs !== undefined ? { reconnectMinMs: o.reconnectMinMs } : {}),
    ...(o.reconnectMaxMs !== undefined ? { reconnectMaxMs: o.reconnectMaxMs } : {}),
    onDownlink: (kind, payload) => (kind === 'config' ? onConfig(payload) : onCommand(payload)),
    onConnect: () => void heartbeat(),
    onStationRefused: (station) => reportEvent({ type: 'station_refused', child: station, reason: `the platform refuses this gateway's publishes for ${station}; its readings stay in the buffer until a config is applied or the agent restarts (子站不属于本网关?)` }),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  uplink.start();
  startHeartbeat();
  log.info({ version: current.version, sources: current.sources.map((s) => s.kind), backlog: buffer.stats().depth }, 'agent started');

  let stopped = false;
  return {
    stationId,
    config: () => current,
    stats: () => ({
      stationId,
      configVersion: current.version,
      uptimeSec: Math.round((Date.now() - startedAt) / 1000),
      ...counters,
      ...(lastRejection ? { lastConfigRejection: lastRejection } : {}),
      buffer: buffer.stats(),
      uplink: uplink!.stats(),
      sources: sources.stats(),
    }),
    take,
    reportEvent,
    heartbeat,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(heartbeatTimer);
      await sources.stop();
      await configChain;
      await sources.stop(); // a config applied while stopping may have started some
      await uplink!.stop();
      buffer.close();
      log.info('agent stopped');
    },
  };
}
