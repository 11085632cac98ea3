import { test, expect } from 'vitest';
import { SaxesParser } from 'saxes';
import { toCapXml } from './cap-xml.ts';
import type { WebhookEvent } from './webhook-event.ts';

/** Every character XML 1.0 §2.2 forbids in a document (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF). */
const HOSTILE = 'A\u0000B\u0007C\u001bD\u000bE\ud800F\ufffeG\uffffH<&>"\'\tI';

/** Parses with saxes (a strict XML 1.0 parser: it rejects every character §2.2 forbids) and returns each element's text by name. */
function parseXml(xml: string): Record<string, string> {
  const parser = new SaxesParser({ xmlns: true });
  const texts: Record<string, string> = {};
  const open: string[] = [];
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => open.push(tag.local));
  parser.on('closetag', () => open.pop());
  parser.on('text', (t) => {
    const name = open.at(-1);
    if (name) texts[name] = (texts[name] ?? '') + t;
  });
  parser.write(xml).close();
  return texts;
}

function event(text: string): WebhookEvent {
  return {
    specVersion: '1.0',
    eventId: `evt-${text}`,
    type: 'alert.escalated',
    occurredAt: '2026-12-06T02:00:00.000Z',
    message: `站 ${text} 超标`,
    alert: {
      id: `alert-${text}`,
      state: 'firing',
      level: 'orange',
      levelRank: 3,
      levelRoman: 'II',
      levelLabel: `橙色预警${text}`,
      value: 12.5,
      rule: { id: 'r1', name: `规则${text}`, kind: 'threshold' },
      station: { id: 's1', name: `天河${text}`, domain: 'air', region: `4401${text}`, department: `eco-env${text}`, lat: 23.1, lon: 113.3 },
      openedAt: '2026-12-06T01:00:00.000Z',
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedAt: null,
    },
    by: null,
  };
}

test('CAP: characters XML 1.0 forbids never reach the document, in any field (checked by an XML parser)', () => {
  const xml = toCapXml(event(HOSTILE), `sender${HOSTILE}`);
  const doc = parseXml(xml);
  // What remains is the text without the forbidden characters, markup escaped and parsed back.
  expect(doc['event']).toBe('规则ABCDEFGH<&>"\'\tI');
  expect(doc['headline']).toContain('天河ABCDEFGH<&>"\'\tI');
  expect(doc['sender']).toBe('senderABCDEFGH<&>"\'\tI');
  expect(doc['senderName']).toBe('eco-envABCDEFGH<&>"\'\tI');
});

test('CAP: ordinary Chinese text and paired surrogates (emoji) pass through unchanged', () => {
  const xml = toCapXml(event('站点😀'));
  expect(parseXml(xml)['event']).toBe('规则站点😀');
});
