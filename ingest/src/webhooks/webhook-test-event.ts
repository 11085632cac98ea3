/**
 * A test event: what `POST /api/v1/subscriptions/{id}/test` sends, so an emergency centre can
 * check its receiver (URL, signature check, parsing) without waiting for a warning. Signed and
 * delivered through the outbox like every alert event, with `X-Shanshui-Event: test`; in CAP
 * it is an alert with `<status>Test</status>` (CAP 1.2 §3.2.1: "Technical testing only, all
 * recipients disregard").
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const WebhookTestEventSchema = z
  .object({
    specVersion: z.literal('1.0'),
    eventId: z.string().describe('unique per test; the idempotency key of its delivery'),
    type: z.literal('test'),
    occurredAt: z.iso.datetime().describe('UTC'),
    message: z.string().describe('Chinese text saying this is a test and not a warning'),
    subscription: z.object({ id: z.string(), name: z.string() }),
  })
  .strict();

export type WebhookTestEvent = z.output<typeof WebhookTestEventSchema>;

export function toWebhookTestEvent(sub: { id: string; name: string }, nowMs: number): WebhookTestEvent {
  return {
    specVersion: '1.0',
    eventId: `test-${randomUUID()}`,
    type: 'test',
    occurredAt: new Date(nowMs).toISOString(),
    message: `【测试】山水平台测试推送：订阅“${sub.name}”已连通。本消息不是预警，无需处置。`,
    subscription: { id: sub.id, name: sub.name },
  };
}

const esc = (s: string): string => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

export function testEventCapXml(e: WebhookTestEvent, sender = 'shanshui'): string {
  const sent = new Date(e.occurredAt).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>${esc(e.eventId)}</identifier>
  <sender>${esc(sender)}</sender>
  <sent>${sent}</sent>
  <status>Test</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Other</category>
    <event>测试推送</event>
    <urgency>Unknown</urgency>
    <severity>Unknown</severity>
    <certainty>Unknown</certainty>
    <description>${esc(e.message)}</description>
  </info>
</alert>
`;
}
