/**
 * The edge agent's configuration: the platform publishes it retained on
 * `shanshui/v1/{deviceId}/down/config`; the agent validates it with this schema, applies it,
 * or rejects it (reporting why on `up/events`) and keeps running the last good one.
 */
import * as z from 'zod';
import { DEVICE_ID_PATTERN } from './topics.ts';
import { DOMAINS } from './domain-ids.ts';
import { ModbusSourceFields } from './modbus-config.ts';

export const OpcuaItemSchema = z
  .object({
    /** OPC-UA node id, e.g. `ns=2;s=Pump1.Flow`. */
    nodeId: z.string().min(1),
    /** Station metric it feeds, e.g. `outflow`. */
    metric: z.string().min(1).max(64),
    /** value × scale + offset. Default 1 and 0. */
    scale: z.number().default(1),
    offset: z.number().default(0),
    /** Absolute deadband in the metric's unit; 0 reports every change. Default 0. */
    deadband: z.number().min(0).default(0),
    /** Server sampling interval, ms. Default 1000. */
    samplingIntervalMs: z.number().int().min(0).default(1000),
    /** Child station this item's readings belong to (its `gatewayId` must be this agent's station). Default: the agent's own station. */
    stationId: z.string().regex(DEVICE_ID_PATTERN, 'a station id').optional(),
  })
  .strict();

/**
 * Field device identity → station id: a child (whose `gatewayId` is this agent's station) or
 * the agent's own id. A device missing from the map is dropped and counted, never filed under
 * another station.
 */
const StationMapSchema = (key: RegExp, what: string) =>
  z.record(z.string(), z.string().regex(DEVICE_ID_PATTERN, 'a station id')).superRefine((map, ctx) => {
    // Checked here rather than as the record's key schema, whose failure names no reason.
    const keys = Object.keys(map);
    if (keys.length > 1000) ctx.addIssue({ code: 'custom', message: 'at most 1000 devices' });
    for (const k of keys) if (!key.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `${what} (key)` });
  });

export const OpcuaCommandSchema = z
  .object({
    /** Command name the platform sends, e.g. `open_gate`. */
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    /** Write `args.value` to this node, or call `methodId` on `objectId`. */
    write: z.object({ nodeId: z.string().min(1), dataType: z.enum(['Boolean', 'Double', 'Float', 'Int32', 'UInt16', 'String']) }).strict().optional(),
    call: z.object({ objectId: z.string().min(1), methodId: z.string().min(1) }).strict().optional(),
  })
  .strict()
  .refine((c) => (c.write ? 1 : 0) + (c.call ? 1 : 0) === 1, 'exactly one of write or call');

export const SourceConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('simulated'), intervalSec: z.number().positive().default(10) }).strict(),
  z
    .object({
      kind: z.literal('hj212'),
      port: z.number().int().min(1).max(65535),
      host: z.string().default('0.0.0.0'),
      /** HJ 212 protocol version of the loggers: 2017 or 2025. Default 2017. */
      version: z.enum(['2017', '2025']).default('2017'),
      /** Data logger passwords by MN; a wrong PW gets QnRtn=3. */
      passwords: z.record(z.string(), z.string()).optional(),
      /** Logger clock offset from UTC, minutes. Default 480 (China Standard Time). */
      utcOffsetMinutes: z.number().int().default(480),
      /** Stations by data logger MN (设备唯一标识): children, or the agent's own id; with a map, unmapped loggers are dropped and counted. Default none: every logger reports as the agent's station. */
      stations: StationMapSchema(/^[A-Za-z0-9_.-]{1,24}$/, 'an MN: 1–24 letters, digits, _ . -').optional(),
      /**
       * Station domain by data logger MN: which HJ 212 code table its factors are read with
       * (docs/standards/hj212-codes.md), e.g. `pollution_source` for a stack CEMS. Default:
       * ambient air, surface water and noise codes.
       */
      domains: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,24}$/, 'an MN'), z.enum(DOMAINS)).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('sl651'),
      port: z.number().int().min(1).max(65535),
      host: z.string().default('0.0.0.0'),
      utcOffsetMinutes: z.number().int().default(480),
      /** Passwords (密码, 4 hex digits) by 测站地址: a frame from that RTU with another password is dropped and counted, never acknowledged. Default none: not checked. */
      passwords: z
        .record(z.string().regex(/^[0-9A-Fa-f]{10}$/, 'a station address: 10 hex digits'), z.string().regex(/^[0-9A-Fa-f]{4}$/, 'a password: 4 hex digits'))
        .optional(),
      /** Stations by 测站地址 (10 hex digits, e.g. `0012345678`): children, or the agent's own id; with a map, unmapped RTUs are dropped and counted. Default none: every RTU reports as the agent's station. */
      stations: StationMapSchema(/^[0-9A-Fa-f]{10}$/, 'a station address: 10 hex digits').optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('opcua'),
      endpointUrl: z.string().regex(/^opc\.tcp:\/\//, 'an opc.tcp:// URL'),
      securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
      securityPolicy: z.enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).default('None'),
      /** Publishing interval of the subscription, ms. Default 1000. */
      publishingIntervalMs: z.number().int().min(50).default(1000),
      /** Rebuild the subscription when no notification or keep-alive came for this long, ms. Default 30000. */
      watchdogMs: z.number().int().min(1000).default(30_000),
      items: z.array(OpcuaItemSchema).min(1).max(5000),
      commands: z.array(OpcuaCommandSchema).max(200).default([]),
    })
    .strict(),
  /** Modbus RTU (RS-485) or TCP: a polled register map (models/src/modbus-config.ts). */
  z.object(ModbusSourceFields).strict(),
]);

export const AgentConfigSchema = z
  .object({
    /** Increases with every change; the agent reports the version it runs. */
    version: z.number().int().min(0),
    uplink: z
      .object({
        /** `5g`: TLS, QoS 1, immediate send. `nbiot`: batches per interval, CBOR, long keep-alive. */
        profile: z.enum(['5g', 'nbiot']).default('5g'),
        /** NB-IoT: seconds between batches. Default 60. */
        batchIntervalSec: z.number().positive().default(60),
        /** NB-IoT: largest payload, bytes. Default 1024. */
        maxPayloadBytes: z.number().int().min(128).default(1024),
        /** MQTT keep-alive, seconds. Default 60 (5g) — use 600+ for NB-IoT. */
        keepaliveSec: z.number().int().min(10).max(65535).default(60),
        /**
         * Send over plain MQTT even when the platform offers TLS (any profile). Only for metered
         * NB-IoT links where the TLS handshake costs too much: the secret then travels in clear.
         * Default false: TLS whenever the platform offers it.
         */
        plainMqtt: z.boolean().default(false),
      })
      .strict()
      .default({ profile: '5g', batchIntervalSec: 60, maxPayloadBytes: 1024, keepaliveSec: 60, plainMqtt: false }),
    buffer: z
      .object({
        /** Disk quota of the store-and-forward buffer, bytes. Default 256 MiB. */
        quotaBytes: z.number().int().min(64 * 1024).default(256 * 1024 * 1024),
        /**
         * Optional cap on the backlog drain after an outage, messages per second. Default none:
         * the backlog drains as fast as the platform acknowledges, within the in-flight window.
         */
        drainRatePerSec: z.number().positive().optional(),
      })
      .strict()
      .default({ quotaBytes: 256 * 1024 * 1024 }),
    /** Seconds between heartbeats on `up/status`. Default 60. */
    heartbeatSec: z.number().int().min(5).default(60),
    sources: z.array(SourceConfigSchema).max(32).default([]),
  })
  .strict();

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;
export type SourceConfig = z.output<typeof SourceConfigSchema>;
export type OpcuaItem = z.output<typeof OpcuaItemSchema>;
export type OpcuaCommand = z.output<typeof OpcuaCommandSchema>;
