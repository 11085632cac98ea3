/**
 * A webhook event as a CAP 1.2 alert (OASIS Common Alerting Protocol, format 'cap'):
 * msgType Alert for firing, Update for escalated/acknowledged, Cancel for resolved; severity
 * from the warning level (red Extreme, orange Severe, yellow Moderate, blue Minor).
 */
import type { WebhookEvent } from './webhook-event.ts';

const SEVERITY = { blue: 'Minor', yellow: 'Moderate', orange: 'Severe', red: 'Extreme' } as const;
const CATEGORY: Readonly<Record<string, string>> = { air: 'Env', water: 'Env', soil: 'Env', reservoir: 'Met', forest_fire: 'Fire', agriculture: 'Env' };

/** What XML 1.0 §2.2 does not allow as a character at all (not even escaped): C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Every text field goes through here: forbidden characters are dropped (the API refuses them; older records may hold some), markup is escaped. */
function esc(s: string): string {
  return s.replace(NOT_XML_CHAR, '').replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** CAP wants `2026-11-22T08:00:00+00:00` (no milliseconds, no Z). */
function capTime(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function toCapXml(e: WebhookEvent, sender = 'shanshui'): string {
  const a = e.alert;
  const msgType = e.type === 'alert.firing' ? 'Alert' : e.type === 'alert.resolved' ? 'Cancel' : 'Update';
  const refs = msgType === 'Alert' ? '' : `\n  <references>${esc(sender)},${esc(`${a.id}-1`)},${capTime(a.openedAt)}</references>`;
  const area = a.station.lat !== undefined && a.station.lon !== undefined ? `\n    <area>\n      <areaDesc>${esc(a.station.name)}（${esc(a.station.region)}）</areaDesc>\n      <circle>${a.station.lat},${a.station.lon} 0</circle>\n      <geocode><valueName>GB/T 2260</valueName><value>${esc(a.station.region)}</value></geocode>\n    </area>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>${esc(e.eventId)}</identifier>
  <sender>${esc(sender)}</sender>
  <sent>${capTime(e.occurredAt)}</sent>
  <status>Actual</status>
  <msgType>${msgType}</msgType>
  <scope>Public</scope>${refs}
  <info>
    <language>zh-CN</language>
    <category>${CATEGORY[a.station.domain] ?? 'Env'}</category>
    <event>${esc(a.rule.name)}</event>
    <urgency>${e.type === 'alert.resolved' ? 'Past' : 'Immediate'}</urgency>
    <severity>${SEVERITY[a.level]}</severity>
    <certainty>Observed</certainty>
    <senderName>${esc(a.station.department)}</senderName>
    <headline>${esc(a.levelLabel)}：${esc(a.station.name)}</headline>
    <description>${esc(e.message)}</description>
    <parameter><valueName>alert_id</valueName><value>${esc(a.id)}</value></parameter>
    <parameter><valueName>level</valueName><value>${a.level}</value></parameter>
    <parameter><valueName>value</valueName><value>${a.value}</value></parameter>${area}
  </info>
</alert>
`;
}
