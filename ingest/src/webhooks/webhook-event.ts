/**
 * The platform's documented JSON webhook body (format 'json'). The zod schema is the single
 * source of truth; `webhookEventJsonSchema()` publishes it at /api/v1/schema/webhook-event.json.
 *
 * Receivers: verify `X-Shanshui-Signature` over the raw body, then deduplicate by `eventId`
 * (equal to `X-Shanshui-Idempotency-Key`) — a delivery may arrive more than once.
 */
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, WARNING_LEVEL_INFO } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { ALERT_EVENTS, ALERT_STATES } from '../alerts/alert.ts';
import type { Alert, AlertEvent } from '../alerts/alert.ts';

export const WebhookEventSchema = z
  .object({
    specVersion: z.literal('1.0'),
    eventId: z.string().describe('unique per event; the idempotency key of every delivery of it'),
    type: z.enum(ALERT_EVENTS.map((e) => `alert.${e}`) as ['alert.firing', 'alert.escalated', 'alert.acknowledged', 'alert.resolved']),
    occurredAt: z.iso.datetime().describe('UTC'),
    message: z.string().describe('Chinese text, e.g. 天河空气站1号 PM2.5 超过 75 μg/m³（黄色预警）'),
    alert: z.object({
      id: z.string(),
      state: z.enum(ALERT_STATES),
      level: z.enum(WARNING_LEVELS),
      levelRank: z.number().int().min(1).max(4).describe('blue 1 … red 4'),
      levelRoman: z.enum(['IV', 'III', 'II', 'I']),
      levelLabel: z.string().describe('蓝色预警 / 黄色预警 / 橙色预警 / 红色预警'),
      value: z.number(),
      rule: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
      station: z.object({
        id: z.string(),
        name: z.string(),
        domain: z.enum(DOMAINS),
        region: z.string(),
        department: z.string(),
        lat: z.number().optional(),
        lon: z.number().optional(),
      }),
      openedAt: z.iso.datetime(),
      acknowledgedBy: z.string().nullable(),
      acknowledgedAt: z.iso.datetime().nullable(),
      resolvedAt: z.iso.datetime().nullable(),
    }),
    by: z.string().nullable().describe('who acknowledged (alert.acknowledged), else null'),
  })
  .strict();

export type WebhookEvent = z.output<typeof WebhookEventSchema>;

export function toWebhookEvent(alert: Alert, event: AlertEvent, station: Pick<Station, 'lat' | 'lon'> | undefined): WebhookEvent {
  const info = WARNING_LEVEL_INFO[event.level];
  return {
    specVersion: '1.0',
    eventId: event.id,
    type: `alert.${event.type}`,
    occurredAt: event.at,
    message: event.message,
    alert: {
      id: alert.id,
      state: alert.state,
      level: event.level,
      levelRank: info.rank,
      levelRoman: info.roman,
      levelLabel: info.label,
      value: event.value,
      rule: { id: alert.ruleId, name: alert.ruleName, kind: alert.ruleKind },
      station: {
        id: alert.stationId,
        name: alert.stationName,
        domain: alert.domain as WebhookEvent['alert']['station']['domain'],
        region: alert.region,
        department: alert.department,
        ...(station ? { lat: station.lat, lon: station.lon } : {}),
      },
      openedAt: alert.openedAt,
      acknowledgedBy: alert.acknowledgedBy,
      acknowledgedAt: alert.acknowledgedAt,
      resolvedAt: alert.resolvedAt,
    },
    by: event.by,
  };
}

export function webhookEventJsonSchema(): unknown {
  return { ...z.toJSONSchema(WebhookEventSchema), title: 'Shanshui webhook event 山水预警推送事件', $id: 'https://shanshui.example/schema/webhook-event.json' };
}
