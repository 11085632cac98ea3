/**
 * InfluxDB line protocol, byte for byte what `@influxdata/influxdb-client`'s Point writes
 * (escaping of measurement, tag keys/values and field keys, quoted string fields, sorted tag and
 * field keys, empty tag values and empty keys left out, numbers as floats) — without building
 * a Point per reading, which cost the ingest path more than the escaping itself. The test
 * (line-protocol.test.ts) checks every output against Point on hostile names and values.
 *
 * For readings, the part before the fields (measurement and the station's four tags) is the
 * same for every reading of a station, so it is built once per station and cached.
 */
import { readingToPoint } from '@shanshui/models';
import type { PointData, Reading, StationTags } from '@shanshui/models';

/** Characters that need a backslash: the Point class's escape.measurement / escape.tag. */
const MEASUREMENT_SPECIAL = /[, \n\r\t]/;
const TAG_SPECIAL = /[, =\n\r\t]/;

function escapeWith(value: string, characters: string, replacements: readonly string[]): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const found = characters.indexOf(value[i]!);
    if (found >= 0) {
      out += value.substring(from, i) + replacements[found]!;
      from = i + 1;
    }
  }
  return from === 0 ? value : out + value.substring(from);
}

/**
 * Line protocol has no escape for a backslash at the end of a name or tag value: Point writes
 * `door\` as is, the backslash escapes the separator after it and InfluxDB answers 400 ("invalid
 * tag format", even for `x\\`) — refusing the whole write, other stations' points too. Anywhere
 * else a backslash is stored as sent. Callers check what devices send first (a dead letter naming
 * the field); this throw keeps anything that slips past out of a batch, as Point does for NaN.
 */
function refuseTrailingBackslash(value: string): void {
  if (value.charCodeAt(value.length - 1) === 0x5c) {
    throw new Error(`line protocol cannot carry a name or tag value ending in a backslash: ${JSON.stringify(value.slice(-200))}`);
  }
}

export function escapeMeasurement(value: string): string {
  refuseTrailingBackslash(value);
  return MEASUREMENT_SPECIAL.test(value) ? escapeWith(value, ', \n\r\t', ['\\,', '\\ ', '\\n', '\\r', '\\t']) : value;
}

/** Tag keys, tag values and field keys. */
export function escapeTag(value: string): string {
  refuseTrailingBackslash(value);
  return TAG_SPECIAL.test(value) ? escapeWith(value, ', =\n\r\t', ['\\,', '\\ ', '\\=', '\\n', '\\r', '\\t']) : value;
}

/** A string field value, quoted. */
export function quoteString(value: string): string {
  return `"${value.includes('"') || value.includes('\\') ? escapeWith(value, '"\\', ['\\"', '\\\\']) : value}"`;
}

function floatText(name: string, value: number): string {
  if (!Number.isFinite(value)) throw new Error(`invalid float value for field '${name}': ${value}`);
  return String(value);
}

/** `name=value,…` in sorted key order; '' when there is no field. */
function fieldsText(fields: Readonly<Record<string, number | string>>): string {
  let out = '';
  for (const k of Object.keys(fields).sort()) {
    if (!k) continue;
    const v = fields[k]!;
    const text = typeof v === 'number' ? floatText(k, v) : quoteString(v);
    out += `${out.length > 0 ? ',' : ''}${escapeTag(k)}=${text}`;
  }
  return out;
}

function tagsText(tags: Readonly<Record<string, string>>): string {
  let out = '';
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k];
    if (k && v) out += `,${escapeTag(k)}=${escapeTag(v)}`;
  }
  return out;
}

/** Serialises points to line protocol with millisecond timestamps; numbers are always floats (no int/float field conflicts). */
export function toLineProtocol(points: readonly PointData[]): string {
  let out = '';
  for (const p of points) {
    if (!p.measurement) continue;
    const fields = fieldsText(p.fields);
    if (fields.length === 0) continue;
    const time = String(p.ts);
    const line = `${escapeMeasurement(p.measurement)}${tagsText(p.tags)} ${fields}${time.length > 0 ? ` ${time}` : ''}`;
    out += out.length > 0 ? `\n${line}` : line;
  }
  return out;
}

/** What a station's readings share: measurement and tags, and the field layout of its last all-`ok` reading. */
interface StationLines {
  readonly id: string;
  readonly domain: string;
  readonly region: string;
  readonly department: string;
  readonly prefix: string;
  /** Metric keys in the reading's own order, and the same sorted with their escaped names. */
  keys: readonly string[];
  sorted: readonly string[];
  escaped: readonly string[];
}

/** Per station object, checked against its fields on every use, so a changed station is never served a stale prefix. */
const stationLines = new WeakMap<StationTags, StationLines>();

function linesOf(station: StationTags): StationLines {
  const cached = stationLines.get(station);
  if (cached && cached.id === station.id && cached.domain === station.domain && cached.region === station.region && cached.department === station.department) {
    return cached;
  }
  // readingToPoint's tags: station, domain, region, dept — in sorted key order.
  const prefix = `${escapeMeasurement(station.domain)}${tagsText({ station: station.id, domain: station.domain, region: station.region, dept: station.department })}`;
  const fresh: StationLines = { id: station.id, domain: station.domain, region: station.region, department: station.department, prefix, keys: [], sorted: [], escaped: [] };
  stationLines.set(station, fresh);
  return fresh;
}

/** `measurement,tags` of a station's readings (escaped, cached per station object, rebuilt when its fields change). */
export function stationLinePrefix(station: StationTags): string {
  return linesOf(station).prefix;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same text as `toLineProtocol(readings.map((r) => readingToPoint(station, r)))`, built faster. */
export function readingsToLineProtocol(station: StationTags, readings: readonly Reading[]): string {
  if (!station.domain) return '';
  const cache = linesOf(station);
  const prefix = cache.prefix;
  let out = '';
  for (const r of readings) {
    const keys = Object.keys(r.values);
    if (!sameKeys(keys, cache.keys)) {
      // readingToPoint's fields: each metric's value and its `q_{metric}`, in sorted key order.
      const names: string[] = [];
      for (const metric of keys) {
        // A metric that is itself named q_… could collide with a quality field: the generic path decides.
        if (metric.startsWith('q_') || metric === '__proto__' || metric === '') return toLineProtocol(readings.map((x) => readingToPoint(station, x)));
        names.push(metric, `q_${metric}`);
      }
      names.sort();
      cache.keys = keys;
      cache.sorted = names;
      cache.escaped = names.map(escapeTag);
    }
    // The station's usual reading: field order and escaped names as last time.
    const { sorted, escaped } = cache;
    let fields = '';
    for (let i = 0; i < sorted.length; i++) {
      const k = sorted[i]!;
      const text = k.startsWith('q_') ? qualityText(r.values[k.slice(2)]!.q) : floatText(k, r.values[k]!.v);
      fields += `${i > 0 ? ',' : ''}${escaped[i]!}=${text}`;
    }
    if (fields.length === 0) continue;
    const line = `${prefix} ${fields} ${String(r.ts)}`;
    out += out.length > 0 ? `\n${line}` : line;
  }
  return out;
}

/** Quoted quality names, built once. */
const QUALITY_TEXT = new Map<string, string>();
function qualityText(q: string): string {
  let text = QUALITY_TEXT.get(q);
  if (text === undefined) {
    text = quoteString(q);
    if (QUALITY_TEXT.size < 64) QUALITY_TEXT.set(q, text);
  }
  return text;
}
