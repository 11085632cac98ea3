/**
 * A dead letter as a spool record, so it is durable before the PUBACK without the publish
 * waiting on the database: the drain takes such records out of each batch and stores them in
 * the dead-letter store (InfluxDB never sees them). The record starts with `#`, a comment in
 * line protocol, so even a stray one would be ignored by InfluxDB rather than stored.
 */
import type { DeadLetterInput } from '../state/dead-letter-store.ts';

const MARK = '#shanshui-dead-letter ';
const MARK_BYTES = Buffer.from(MARK);

interface Stored {
  readonly deviceId: string;
  readonly topic: string;
  readonly code: string;
  readonly reason: string;
  readonly payload: string;
  readonly encoding: string;
  readonly receivedAt: string;
}

export function toDeadLetterRecord(d: DeadLetterInput, nowMs = Date.now()): string {
  const stored: Stored = {
    deviceId: d.deviceId,
    topic: d.topic,
    code: d.code,
    reason: d.reason,
    payload: d.payload.toString('base64'),
    encoding: d.encoding,
    receivedAt: d.receivedAt ?? new Date(nowMs).toISOString(),
  };
  // JSON escapes newlines: the record stays one line.
  return MARK + JSON.stringify(stored);
}

/** The dead letter in a spool record, or undefined when the record is line protocol. */
export function parseDeadLetterRecord(record: Buffer): DeadLetterInput | undefined {
  if (record.length < MARK_BYTES.length || !record.subarray(0, MARK_BYTES.length).equals(MARK_BYTES)) return undefined;
  const s = JSON.parse(record.subarray(MARK_BYTES.length).toString('utf8')) as Stored;
  return { deviceId: s.deviceId, topic: s.topic, code: s.code, reason: s.reason, payload: Buffer.from(s.payload, 'base64'), encoding: s.encoding, receivedAt: s.receivedAt };
}
