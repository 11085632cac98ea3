/**
 * Status (`up/status`) and events (`up/events`) messages: a JSON or CBOR object whose scalar
 * top-level fields are kept as a point of `device_status` / `device_events` (events tagged by
 * their `type`, which is not also a field). Anything else — also a `ts` that is not whole epoch
 * milliseconds, or an event `type` that is not a plain identifier — is a dead letter with the
 * reason, never a line InfluxDB would refuse together with its batch. An event of type `dead_field`
 * (a gateway reporting a protocol field it could not map, e.g. an unknown HJ 212 factor code —
 * docs/standards/hj212-codes.md) is kept as an event and also filed as a dead letter, so the
 * field with its code shows in `GET /api/v1/dead-letters`.
 */
import { MAX_TIMESTAMP_MS, decodePayload } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { toLineProtocol } from '../store/influx-http.ts';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';
import { INGEST_ERRORS } from '../errors.ts';

/**
 * An event type is a tag dashboards filter and group by: an identifier (the agent's `door_open`,
 * `config_rejected`, `alert.firing`; Chinese letters too) needs no escaping, and never ends in
 * the backslash line protocol cannot carry.
 */
const EVENT_TYPE_PATTERN = /^\p{L}[\p{L}\p{N}_.:-]{0,63}$/u;
const EVENT_TYPE_EXPECTED = 'an event type: letters, digits, _ . : - (1–64, starting with a letter)';
const TS_EXPECTED = 'epoch milliseconds (UTC), a whole number ≥ 0';

export interface AcceptedDeviceMessage {
  readonly lines: string;
  readonly fields: Readonly<Record<string, number | string>>;
  readonly deadLetter?: DeadLetterInput;
}

export function acceptDeviceMessage(station: Station, kind: 'status' | 'events', topic: string, payload: Buffer, nowMs: number): AcceptedDeviceMessage {
  const dead = (reason: string, encoding: string): AcceptedDeviceMessage => ({
    lines: '',
    fields: {},
    deadLetter: { deviceId: station.id, topic, code: 'INGEST_ERR_PAYLOAD_INVALID', reason: `${INGEST_ERRORS.INGEST_ERR_PAYLOAD_INVALID}: ${reason}`, payload, encoding },
  });
  const decoded = decodePayload(payload);
  if (!decoded.ok) return dead(decoded.reason, decoded.encoding);
  const value = decoded.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return dead(`${kind} must be an object`, decoded.encoding);
  // `ts` is the point's time: a fraction or a negative/huge number would be written as `1.5` or
  // `-1e+300`, which InfluxDB refuses with the whole batch. Read from the message itself, so a
  // CBOR NaN or Infinity (which never becomes a field) is refused too.
  const rawTs: unknown = (value as Record<string, unknown>)['ts'];
  if (typeof rawTs === 'number' && !(Number.isInteger(rawTs) && rawTs >= 0 && rawTs <= MAX_TIMESTAMP_MS)) return dead(`ts: expected ${TS_EXPECTED} — got ${String(rawTs)}`, decoded.encoding);
  const rawType: unknown = (value as Record<string, unknown>)['type'];
  if (kind === 'events' && rawType !== undefined && rawType !== '' && !(typeof rawType === 'string' && EVENT_TYPE_PATTERN.test(rawType))) {
    return dead(`type: expected ${EVENT_TYPE_EXPECTED} — got ${(JSON.stringify(rawType) ?? String(rawType)).slice(0, 100)}`, decoded.encoding);
  }
  const fields: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k)) continue;
    if (typeof v === 'number' && Number.isFinite(v)) fields[k] = v;
    else if (typeof v === 'boolean') fields[k] = v ? 1 : 0;
    else if (typeof v === 'string') fields[k] = v.slice(0, 1024);
  }
  const ts = typeof fields['ts'] === 'number' && fields['ts'] <= nowMs + 300_000 ? fields['ts'] : nowMs;
  delete fields['ts'];
  if (Object.keys(fields).length === 0) return dead(`${kind} has no scalar fields`, decoded.encoding);
  const tags: Record<string, string> = { station: station.id, domain: station.domain, region: station.region, dept: station.department };
  // An event's `type` is a tag (what dashboards filter and group by), never also a field: InfluxDB
  // would keep both and answer the field as `type_1`. An event with nothing but a type counts 1.
  let pointFields: Record<string, number | string> = fields;
  if (kind === 'events') {
    tags['type'] = typeof fields['type'] === 'string' && fields['type'] !== '' ? fields['type'] : 'event';
    const { type: _type, ...rest } = fields;
    pointFields = Object.keys(rest).length > 0 ? rest : { count: 1 };
  }
  const lines = toLineProtocol([{ measurement: kind === 'status' ? 'device_status' : 'device_events', tags, fields: pointFields, ts }]);
  if (kind === 'events' && fields['type'] === 'dead_field') {
    const f = (k: string): string => String(fields[k] ?? '');
    const where = [f('protocol'), f('mn') && `MN ${f('mn')}`, f('cn') && `CN ${f('cn')}`, f('data_time') && `DataTime ${f('data_time')}`, f('station') && `station ${f('station')}`].filter(Boolean).join(', ');
    const reason = `${INGEST_ERRORS.INGEST_ERR_FIELD_UNKNOWN}: ${f('code')}-${f('suffix')}=${f('value')} (${where}): ${f('reason')}`;
    return { lines, fields, deadLetter: { deviceId: station.id, topic, code: 'INGEST_ERR_FIELD_UNKNOWN', reason, payload, encoding: decoded.encoding } };
  }
  return { lines, fields };
}
