/**
 * The running sources of the agent, built from `AgentConfig.sources`: HJ 212 and SL 651 TCP
 * listeners, OPC-UA subscriptions, Modbus pollers, the simulator. `apply` swaps one set for another
 * atomically from the config's point of view: if any new source fails to start, the new ones
 * are stopped, the previous ones started again, and the reason returned — the caller rejects
 * that config and keeps the last good one.
 */
import type { Logger } from 'pino';
import type { Domain, SourceConfig } from '@shanshui/models/edge';
import type { Hj212DeadField } from './hj212/to-readings.ts';
import type { SourceReading } from './source-reading.ts';

/** The OPC-UA source's contract (sources/opcua/opcua-source.ts). */
interface OpcuaSourceLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): object;
  executeCommand(name: string, args: Record<string, unknown>): Promise<CommandOutcome>;
}
type OpcuaSourceCtor = new (o: {
  config: Extract<SourceConfig, { kind: 'opcua' }>;
  stationId: string;
  pkiDir: string;
  logger?: Logger;
  onReadings: (r: SourceReading[]) => void;
}) => OpcuaSourceLike;

// Each protocol's module is loaded only when a config has a source of its kind (`import()` in
// #create): node-opcua costs tens of MB of memory that an HJ 212-only gateway should not pay,
// and an idle agent with no source carries no codec at all (docs/benchmarks.md, "Edge agent").
async function loadOpcuaSource(opcuaLogs: Logger | undefined): Promise<OpcuaSourceCtor> {
  const mod = (await import('./opcua/opcua-source.ts')) as { OpcuaSource: OpcuaSourceCtor };
  // node-opcua-debug too loads only now; its writers are process-wide, set before the first client logs.
  if (opcuaLogs) (await import('./opcua/opcua-log-bridge.ts')).routeOpcuaLogs(opcuaLogs);
  return mod.OpcuaSource;
}

export type StatValue = string | number | boolean;

export interface CommandOutcome {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** One running source, whatever its protocol. */
export interface SourceRunner {
  readonly config: SourceConfig;
  /** Prefix of its fields in the heartbeat, e.g. `source_hj212`, `source_opcua_2`. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): Record<string, StatValue>;
  /** Command names this source executes (OPC-UA, Modbus). */
  readonly commands: readonly string[];
  executeCommand?(name: string, args: Record<string, unknown>): Promise<CommandOutcome>;
}

/** Takes readings durably; may throw (then the source must not acknowledge its device). */
export type ReadingsSink = (readings: SourceReading[], source: string) => void;

export interface SourceSetOptions {
  readonly stationId: string;
  /** Domain of the station (what the simulator generates). */
  readonly domain: Domain;
  /** Folder of the agent's OPC-UA certificate store. */
  readonly pkiDir: string;
  readonly sink: ReadingsSink;
  readonly logger: Logger;
  /** Queues an event for `up/events` (the agent's reportEvent): fields a source could not store go there as `dead_field` events. Default: logged only. */
  readonly reportEvent?: (event: Record<string, string | number | boolean>) => void;
  /** Where node-opcua's own console lines go (process-wide, `routeOpcuaLogs`) once an OPC-UA source loads. Default: left on the console. */
  readonly opcuaLogs?: Logger;
}

const snake = (s: string): string => s.replace(/([A-Z])/g, '_$1').toLowerCase();

function flatten(stats: object): Record<string, StatValue> {
  const out: Record<string, StatValue> = {};
  for (const [k, v] of Object.entries(stats)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[snake(k)] = v;
  }
  return out;
}

export class SourceSet {
  readonly #o: SourceSetOptions;
  readonly #log: Logger;
  #runners: SourceRunner[] = [];
  #configs: SourceConfig[] = [];
  /** Sources that failed to start at boot (best effort), by name → reason. */
  #failed = new Map<string, string>();

  constructor(options: SourceSetOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'sources' });
  }

  get runners(): readonly SourceRunner[] {
    return this.#runners;
  }

  /**
   * Replaces the running sources with `configs`. `bestEffort` (used at boot): start what can
   * start, log the rest. Otherwise all-or-nothing with rollback to the previous set.
   */
  async apply(configs: readonly SourceConfig[], bestEffort = false): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (JSON.stringify(configs) === JSON.stringify(this.#configs) && this.#failed.size === 0 && !bestEffort) return { ok: true };
    const previous = this.#configs;
    await this.#stopAll();
    const started = await this.#startAll(configs, bestEffort);
    if (started.ok || bestEffort) {
      this.#configs = [...configs];
      return { ok: true };
    }
    this.#log.warn({ reason: started.reason }, 'new sources failed; restoring the previous ones');
    await this.#stopAll();
    await this.#startAll(previous, true);
    this.#configs = [...previous];
    return started;
  }

  async stop(): Promise<void> {
    await this.#stopAll();
    this.#configs = [];
  }

  stats(): Record<string, StatValue> {
    const out: Record<string, StatValue> = {};
    for (const r of this.#runners) {
      for (const [k, v] of Object.entries(r.stats())) out[`${r.name}_${k}`] = v;
    }
    for (const [name, reason] of this.#failed) out[`${name}_error`] = reason.slice(0, 200);
    return out;
  }

  /** The source that executes command `name`, if any. */
  commandRunner(name: string): SourceRunner | undefined {
    return this.#runners.find((r) => r.commands.includes(name) && r.executeCommand);
  }

  /**
   * Field device identity → child station id: HJ 212 by MN, SL 651 by station address (hex,
   * any case), OPC-UA items name their station already. Undefined: the agent's own station.
   */
  #stationResolver(config: SourceConfig): (source: string) => string | undefined {
    switch (config.kind) {
      case 'hj212': {
        const map = new Map(Object.entries(config.stations ?? {}));
        return (mn) => map.get(mn);
      }
      case 'sl651': {
        const map = new Map(Object.entries(config.stations ?? {}).map(([address, station]) => [address.toUpperCase(), station]));
        return (address) => map.get(address.toUpperCase());
      }
      case 'opcua':
      case 'modbus':
        return (station) => station;
      case 'simulated':
        return () => undefined;
    }
  }

  async #startAll(configs: readonly SourceConfig[], bestEffort: boolean): Promise<{ ok: true } | { ok: false; reason: string }> {
    this.#failed.clear();
    const seen = new Map<string, number>();
    for (const [i, config] of configs.entries()) {
      const n = (seen.get(config.kind) ?? 0) + 1;
      seen.set(config.kind, n);
      const name = n === 1 ? `source_${config.kind}` : `source_${config.kind}_${n}`;
      let runner: SourceRunner | undefined;
      try {
        runner = await this.#create(config, name);
        await runner.start();
        this.#runners.push(runner);
        this.#log.info({ source: name, kind: config.kind }, 'source started');
      } catch (err) {
        const reason = `sources.${i} (${config.kind}) failed to start: ${err instanceof Error ? err.message : String(err)}`;
        await runner?.stop().catch(() => undefined);
        if (!bestEffort) return { ok: false, reason };
        this.#failed.set(name, reason);
        this.#log.error({ source: name, reason }, 'source failed to start');
      }
    }
    return { ok: true };
  }

  async #stopAll(): Promise<void> {
    const runners = this.#runners.splice(0);
    for (const r of runners.reverse()) {
      try {
        await r.stop();
      } catch (err) {
        this.#log.error({ source: r.name, err }, 'source did not stop cleanly');
      }
    }
  }

  async #create(config: SourceConfig, name: string): Promise<SourceRunner> {
    const logger = this.#o.logger.child({ source: name });
    const resolve = this.#stationResolver(config);
    // With a configured map, a device missing from it (a mistyped MN, a logger nobody
    // registered) is dropped and counted, never filed under the gateway's own station — its
    // values would be stored, and alerted on, as another station's. Map a device to the
    // agent's own id to keep it there. Without a map, everything is the agent's (as before).
    const mapped = 'stations' in config && config.stations !== undefined;
    let unmapped = 0;
    const warned = new Set<string>();
    const sink = (readings: SourceReading[]): void => {
      const kept: SourceReading[] = [];
      for (const r of readings) {
        const stationId = resolve(r.source);
        if (stationId === undefined && mapped) {
          unmapped++;
          const device = r.source;
          if (!warned.has(device) && warned.size < 1000) {
            warned.add(device);
            logger.warn({ device }, 'readings of a device missing from the stations map are dropped (未登记的现场设备); map it to a child station, or to this agent\'s own id');
          }
          continue;
        }
        kept.push(stationId === undefined || stationId === this.#o.stationId ? r : { ...r, stationId });
      }
      if (kept.length > 0) this.#o.sink(kept, name);
    };
    const withUnmapped = (stats: Record<string, StatValue>): Record<string, StatValue> => (mapped ? { ...stats, readings_unmapped: unmapped } : stats);
    // A protocol server the field devices dial in to (HJ 212, SL 651): listen, close, count.
    const listening = (
      server: { listen(port: number, host: string): Promise<unknown>; close(): Promise<void>; stats(): object },
      c: { readonly port: number; readonly host: string },
    ): SourceRunner => ({
      config,
      name,
      commands: [],
      start: async () => void (await server.listen(c.port, c.host)),
      stop: () => server.close(),
      stats: () => withUnmapped(flatten(server.stats())),
    });
    switch (config.kind) {
      case 'hj212': {
        const { Hj212Server } = await import('./hj212/hj212-server.ts');
        const devices: Record<string, { password?: string; domain?: Domain }> = {};
        for (const [mn, password] of Object.entries(config.passwords ?? {})) devices[mn] = { password };
        for (const [mn, domain] of Object.entries(config.domains ?? {})) devices[mn] = { ...devices[mn], domain };
        const report = this.#o.reportEvent;
        // Each field the logger sent that cannot be stored becomes a dead letter on the platform (a dead_field event).
        const onDeadFields = report
          ? (fields: Hj212DeadField[], ctx: { mn: string; cn: string; dataTime?: string }): void => {
              const station = config.stations?.[ctx.mn];
              for (const f of fields) {
                report({ type: 'dead_field', protocol: 'hj212', mn: ctx.mn, cn: ctx.cn, data_time: ctx.dataTime ?? '', code: f.code, suffix: f.suffix, value: f.value, reason: f.reason, ...(station ? { station } : {}) });
              }
            }
          : undefined;
        return listening(
          new Hj212Server({ onReadings: sink, devices, utcOffsetMinutes: config.utcOffsetMinutes, defaultVersion: config.version, logger, ...(onDeadFields ? { onDeadFields } : {}) }),
          config,
        );
      }
      case 'sl651': {
        // Per-station passwords (密码): the listener drops, counts and never acknowledges a mismatch.
        const { Sl651Server } = await import('./sl651/sl651-server.ts');
        const stations = Object.fromEntries(Object.entries(config.passwords ?? {}).map(([address, password]) => [address.toUpperCase(), { password }]));
        return listening(new Sl651Server({ onReadings: sink, utcOffsetMinutes: config.utcOffsetMinutes, stations, logger }), config);
      }
      case 'opcua': {
        let source: OpcuaSourceLike | undefined;
        return {
          config,
          name,
          commands: config.commands.map((c) => c.name),
          start: async () => {
            const OpcuaSource = await loadOpcuaSource(this.#o.opcuaLogs);
            source = new OpcuaSource({ config, stationId: this.#o.stationId, pkiDir: this.#o.pkiDir, logger, onReadings: sink });
            await source.start();
          },
          stop: async () => source?.stop(),
          stats: () => (source ? flatten(source.stats()) : { state: 'stopped' }),
          executeCommand: async (cmd, args) => (source ? source.executeCommand(cmd, args) : { ok: false, error: 'OPC-UA source not running' }),
        };
      }
      case 'modbus': {
        const { ModbusSource } = await import('./modbus/modbus-source.ts');
        const source = new ModbusSource({ config, stationId: this.#o.stationId, logger, onReadings: sink });
        return {
          config,
          name,
          commands: source.commands,
          start: () => source.start(),
          stop: () => source.stop(),
          stats: () => flatten(source.stats()),
          executeCommand: (cmd, args) => source.executeCommand(cmd, args),
        };
      }
      case 'simulated': {
        const { SimulatedSource } = await import('./simulated-source.ts');
        const source = new SimulatedSource({ intervalSec: config.intervalSec, domain: this.#o.domain, name: this.#o.stationId, onReadings: sink });
        return {
          config,
          name,
          commands: [],
          start: async () => source.start(),
          stop: async () => source.stop(),
          stats: () => flatten(source.stats()),
        };
      }
    }
  }
}
