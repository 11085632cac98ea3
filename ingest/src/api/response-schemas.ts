/**
 * What the API answers, as zod schemas: the source of the OpenAPI document's response schemas
 * (route-doc.ts) and what the contract test parses real answers with. They describe the
 * objects the stores already return; the handlers are not changed by them.
 */
import { z } from 'zod';
import { AgentConfigSchema, DOMAINS, QUALITIES, StationInputSchema, WARNING_LEVELS } from '@shanshui/models';
import { ALERT_EVENTS, ALERT_STATES } from '../alerts/alert.ts';
import { ROLES } from '../auth/permissions.ts';
import { COMMAND_STATES } from '../commands/command-store.ts';
import { RuleInputSchema } from '../rules/rule-schema.ts';
import { ErrorBodySchema } from './route-doc.ts';
import { DELIVERY_STATES } from '../webhooks/outbox-store.ts';
import { SubscriptionInputSchema } from '../webhooks/subscription-schema.ts';

const IsoTime = z.string().describe('ISO 8601 time (UTC)');

/** A page of a list: `items`, and `total` matching the filter (across pages). */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int().min(0) });

export const StationSchema = StationInputSchema.extend({ createdAt: IsoTime }).describe('A monitoring station (one station is one MQTT device)');

export const TopicsSchema = z.object({ readings: z.string(), status: z.string(), events: z.string(), config: z.string(), command: z.string() }).strict();

export const CredentialsSchema = z
  .object({
    clientId: z.string(),
    username: z.string(),
    password: z.string().describe('shown only in this answer'),
    mqtt: z.record(z.string(), z.string()).describe('broker URLs by transport (tcp, tls, ws)'),
    topics: TopicsSchema,
    note: z.string().optional(),
  })
  .strict();

export const SequenceStatsSchema = z
  .object({
    lastSeq: z.number(),
    received: z.number(),
    duplicates: z.number(),
    gaps: z.number(),
    missing: z.number(),
    late: z.number(),
    rejected: z.number().describe('messages that arrived but were refused whole (dead letters); not counted as missing'),
    resets: z.number(),
    lastAt: IsoTime,
  })
  .strict()
  .describe('Delivery health of a device by its message sequence numbers (数据完整性)');

export const PresenceSchema = z
  .object({
    online: z.boolean(),
    since: IsoTime.optional(),
    remoteAddress: z.string().nullable().optional(),
    via: z.string().optional().describe('child station: the gateway it reports through; online while that gateway is connected and the child has reported since it connected'),
    lastReportAt: IsoTime.optional().describe('child station: its last readings message'),
  })
  .strict();

export const DeadLetterSchema = z
  .object({
    id: z.number().int(),
    deviceId: z.string(),
    topic: z.string(),
    receivedAt: IsoTime,
    code: z.string(),
    reason: z.string(),
    payload: z.string().describe('the raw payload, base64'),
    payloadText: z.string().nullable().describe('the same payload as text when it is UTF-8 (JSON, plain text), else null'),
    encoding: z.string(),
  })
  .strict();

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    departments: z.union([z.literal('*'), z.array(z.string())]),
    createdAt: IsoTime,
    createdBy: z.string(),
    expiresAt: IsoTime,
    revokedAt: IsoTime.nullable(),
    revokedBy: z.string().nullable(),
    lastUsedAt: IsoTime.nullable(),
    state: z.enum(['active', 'expired', 'revoked']),
  })
  .strict();

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: IsoTime,
    actorId: z.string(),
    actorName: z.string(),
    actorRole: z.string(),
    ip: z.string(),
    method: z.string(),
    route: z.string(),
    status: z.number().int(),
    target: z.string().nullable(),
    departments: z.array(z.string()).nullable(),
    summary: z.unknown().describe('what changed (the request body, secrets redacted)'),
  })
  .strict();

export const CommandSchema = z
  .object({
    id: z.string(),
    stationId: z.string(),
    department: z.string(),
    name: z.string(),
    args: z.record(z.string(), z.unknown()),
    state: z.enum(COMMAND_STATES),
    by: z.string(),
    createdAt: IsoTime,
    expiresAt: IsoTime,
    sentAt: IsoTime.nullable(),
    resultAt: IsoTime.nullable(),
    result: z.unknown(),
    error: z.string().nullable(),
  })
  .strict();

export const AgentConfigStatusSchema = z
  .object({
    desiredVersion: z.number().int().describe('the version the platform published'),
    state: z.enum(['applied', 'rejected', 'pending', 'unknown']).describe('applied: the agent runs it; rejected: it refused it (see rejected.reason); pending: no answer from the agent yet'),
    applied: z.object({ version: z.number().int(), at: IsoTime }).nullable().describe('the last config the agent reported applying'),
    rejected: z.object({ version: z.number().int().nullable(), reason: z.string(), runningVersion: z.number().int().nullable(), at: IsoTime }).nullable().describe('the last config the agent refused, why, and the version it kept running'),
  })
  .strict();
export const AgentConfigResponseSchema = z.object({ stationId: z.string(), config: AgentConfigSchema, agent: AgentConfigStatusSchema.optional().describe('what the agent did with it (GET only)') }).strict();

export const AlertSchema = z
  .object({
    id: z.string(),
    stationId: z.string(),
    stationName: z.string(),
    ruleId: z.string(),
    ruleName: z.string(),
    ruleKind: z.string(),
    domain: z.string(),
    region: z.string(),
    department: z.string(),
    level: z.enum(WARNING_LEVELS).describe('blue/yellow/orange/red = 蓝/黄/橙/红 (IV/III/II/I)'),
    state: z.enum(ALERT_STATES),
    value: z.number(),
    message: z.string(),
    openedAt: IsoTime,
    updatedAt: IsoTime,
    escalatedAt: IsoTime.nullable(),
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: IsoTime.nullable(),
    ackNote: z.string().nullable(),
    resolvedAt: IsoTime.nullable(),
  })
  .strict();

export const AlertEventSchema = z
  .object({
    id: z.string(),
    alertId: z.string(),
    type: z.enum(ALERT_EVENTS),
    level: z.enum(WARNING_LEVELS),
    value: z.number(),
    message: z.string(),
    at: IsoTime,
    by: z.string().nullable(),
  })
  .strict();

/** A rule as stored: its definition (defaults filled in) with its id. */
export const RuleSchema = z.intersection(RuleInputSchema, z.object({ id: z.string() })).describe('A rule: threshold, rate_of_change, stale, classification, anomaly, trend or data_quality');

export const RuleAuditEntrySchema = z
  .object({ id: z.number().int(), ruleId: z.string(), action: z.enum(['create', 'update', 'delete', 'seed']), by: z.string(), at: IsoTime, definition: z.unknown() })
  .strict();

export const PublicSubscriptionSchema = SubscriptionInputSchema.omit({ secret: true })
  .extend({ id: z.string(), createdAt: IsoTime, updatedAt: IsoTime, secretHint: z.string().describe('the last 4 characters of the secret') })
  .describe('A webhook subscription; its secret is never shown again');

export const DeliverySchema = z
  .object({
    id: z.number().int(),
    subscriptionId: z.string(),
    idempotencyKey: z.string(),
    eventType: z.string(),
    alertId: z.string(),
    contentType: z.string(),
    body: z.string(),
    state: z.enum(DELIVERY_STATES),
    attempts: z.number().int(),
    nextAttemptAt: z.number().describe('epoch ms of the next attempt'),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    deliveredAt: IsoTime.nullable(),
  })
  .strict();

const LatestValueSchema = z
  .object({ value: z.number(), unit: z.string(), name: z.string(), quality: z.enum(QUALITIES), qualityLabel: z.string().describe('数据标记, e.g. 正常, 维护, 故障'), time: IsoTime })
  .strict();
export const StationLatestSchema = z
  .object({
    stationId: z.string(),
    name: z.string(),
    domain: z.enum(DOMAINS),
    department: z.string(),
    region: z.string(),
    lastSeen: IsoTime.nullable(),
    values: z.record(z.string(), LatestValueSchema),
  })
  .strict()
  .describe("The latest value of each of a station's metrics");

/** A JSON Schema document (readings envelope, webhook event). */
export const JsonSchemaDocumentSchema = z.record(z.string(), z.unknown()).describe('A JSON Schema document');

export const MapFeatureCollectionSchema = z
  .object({
    type: z.literal('FeatureCollection'),
    generatedAt: IsoTime,
    features: z.array(
      z
        .object({
          type: z.literal('Feature'),
          id: z.string(),
          geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }).strict(),
          properties: z
            .object({
              id: z.string(),
              name: z.string(),
              domain: z.enum(DOMAINS),
              domainName: z.string(),
              profile: z.string().describe('the station profile (its domain\'s own when it names none)'),
              department: z.string(),
              region: z.string(),
              warningLevel: z.enum(WARNING_LEVELS).nullable(),
              warningLabel: z.string(),
              warningColor: z.string().nullable(),
              lastSeen: IsoTime.nullable(),
              values: z.record(z.string(), z.object({ value: z.number(), unit: z.string(), name: z.string(), quality: z.enum(QUALITIES), time: IsoTime }).strict()),
              alerts: z.array(z.object({ id: z.string(), rule: z.string(), level: z.enum(WARNING_LEVELS), state: z.enum(ALERT_STATES), message: z.string(), since: IsoTime }).strict()),
            })
            .strict(),
        })
        .strict(),
    ),
  })
  .strict()
  .describe('GeoJSON (RFC 7946) FeatureCollection: one Point per station');

/**
 * Schemas the OpenAPI document names in `components.schemas` (and refers to with `$ref`) instead
 * of repeating them in every operation: what the platform answers, and the request bodies used
 * by more than one route. fastify-type-provider-zod names each twice, as answered (`Station`)
 * and as sent (`StationInput`); request bodies are therefore named by what they are
 * (`NewStation`, `RuleDefinition`), so that neither name collides.
 */
export const API_SCHEMAS = z.registry<{ id: string }>();
for (const [id, schema] of Object.entries({
  Error: ErrorBodySchema,
  Station: StationSchema,
  Credentials: CredentialsSchema,
  SequenceStats: SequenceStatsSchema,
  DeadLetter: DeadLetterSchema,
  ApiToken: ApiTokenSchema,
  AuditEntry: AuditEntrySchema,
  Command: CommandSchema,
  AgentConfig: AgentConfigSchema,
  Alert: AlertSchema,
  AlertEvent: AlertEventSchema,
  Rule: RuleSchema,
  RuleAuditEntry: RuleAuditEntrySchema,
  Subscription: PublicSubscriptionSchema,
  Delivery: DeliverySchema,
  StationLatest: StationLatestSchema,
  NewStation: StationInputSchema,
  RuleDefinition: RuleInputSchema,
  SubscriptionDefinition: SubscriptionInputSchema,
})) {
  API_SCHEMAS.add(schema, { id });
}
