/**
 * One pass from a readings payload to what the spool keeps, for the common shape: a JSON
 * object `{"seq", "ts", "values"}` or `{"seq", "readings": [{"ts", "values"}, …]}` whose values
 * are numbers or `{"v", "q"}`, with metrics the station knows and timestamps in range. The bytes
 * are scanned once; the line protocol is written into one buffer from the station's cached
 * prefix, the cached field layout of its readings and the value texts as the device sent them
 * (when they are already what `String(value)` would print), and decoded to text once. No JSON
 * tree, no envelope copy, no separate validation and formatting passes.
 *
 * It only ever says yes to what the validated path (decodePayload → parseReadingsMessage →
 * validateReadings → readingsToLineProtocol, accept-readings.ts) accepts whole, and then yields
 * the same lines, readings and counts; anything else — another encoding, escapes or non-ASCII
 * in a string, an exponent it cannot vouch for, a duplicate or extra key, an unknown metric, a
 * timestamp out of range, a reading to refuse — returns undefined and the validated path
 * decides, with its exact reasons. one-pass-readings.test.ts checks both paths against each
 * other on generated payloads, well-formed and not.
 */
import { MAX_READINGS_PER_MESSAGE, MAX_TIMESTAMP_MS, MAX_VALUES_PER_READING, QUALITY_INPUTS, QUALITIES, fieldSpec, metricSpec } from '@shanshui/models';
import type { Domain, MetricSpec, Quality, Reading, Station } from '@shanshui/models';
import { escapeTag, stationLinePrefix } from '../store/line-protocol.ts';

export interface OnePassReadings {
  readonly seq: number;
  readonly readings: Reading[];
  readonly lines: string;
  readonly implausible: number;
}

export interface OnePassOptions {
  readonly nowMs: number;
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
}

type Against = Domain | Readonly<Record<string, MetricSpec>>;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const QUALITY_NAMES: readonly Quality[] = QUALITIES;
const Q_OK = QUALITY_NAMES.indexOf('ok');
const Q_IMPLAUSIBLE = QUALITY_NAMES.indexOf('implausible');
/** `"quality"` as bytes, by quality index. */
const QUALITY_TEXT = QUALITY_NAMES.map((q) => Buffer.from(`"${q}"`, 'latin1'));
/** The quality inputs a device may send, as bytes, with their quality index. */
const QUALITY_INPUT_BYTES = [...QUALITY_INPUTS].map(([input, q]) => ({ bytes: Buffer.from(input, 'latin1'), index: QUALITY_NAMES.indexOf(q) }));

/** What the readings of a station share: the line prefix and the metrics of its last message, in the order sent. */
interface Layout {
  readonly id: string;
  readonly domain: string;
  readonly region: string;
  readonly department: string;
  readonly against: Against;
  readonly prefix: Uint8Array;
  readonly ascii: boolean;
  readonly keys: readonly string[];
  readonly keyBytes: readonly Uint8Array[];
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** The fields in sorted name order: metric index × 2, + 1 for its `q_` field. */
  readonly plan: Int32Array;
  /** `name=` of each plan entry, escaped. */
  readonly planNames: readonly Uint8Array[];
}

const layouts = new WeakMap<Station, Layout>();

function layoutFits(l: Layout | undefined, station: Station, against: Against): l is Layout {
  return l !== undefined && l.against === against && l.id === station.id && l.domain === station.domain && l.region === station.region && l.department === station.department;
}

/** A new layout for `keys`, or undefined when the validated path must decide (unknown metric, odd name, duplicate). */
function buildLayout(station: Station, against: Against, keys: readonly string[]): Layout | undefined {
  const table = typeof against === 'string' ? undefined : against;
  const min = new Float64Array(keys.length);
  const max = new Float64Array(keys.length);
  const seen = new Set<string>();
  const names: Array<{ name: string; entry: number }> = [];
  for (let k = 0; k < keys.length; k++) {
    const metric = keys[k]!;
    if (metric.length === 0 || metric.length > 64 || metric === '__proto__' || metric.startsWith('q_') || seen.has(metric)) return undefined;
    seen.add(metric);
    const spec = table ? fieldSpec(table, metric) : metricSpec(against as Domain, metric);
    if (spec === undefined) return undefined;
    min[k] = spec.min;
    max[k] = spec.max;
    names.push({ name: metric, entry: 2 * k }, { name: `q_${metric}`, entry: 2 * k + 1 });
  }
  // readingsToLineProtocol's order: all field names sorted as strings.
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const prefixText = stationLinePrefix(station);
  const prefix = Buffer.from(prefixText, 'utf8');
  return {
    id: station.id,
    domain: station.domain,
    region: station.region,
    department: station.department,
    against,
    prefix,
    ascii: prefix.length === prefixText.length,
    keys,
    keyBytes: keys.map((k) => Buffer.from(k, 'latin1')),
    min,
    max,
    plan: Int32Array.from(names.map((n) => n.entry)),
    planNames: names.map((n) => Buffer.from(`${escapeTag(n.name)}=`, 'latin1')),
  };
}

// ---- The scanner's state: one message at a time (a worker thread has its own module). ----
let b: Buffer = Buffer.alloc(0);
let p = 0;
let n = 0;
/** The last key read: bytes [keyStart, keyEnd). */
let keyStart = 0;
let keyEnd = 0;
/** The last number read: its value, its text [numStart, numEnd), and whether that text is what String(value) prints. */
let numValue = 0;
let numStart = 0;
let numEnd = 0;
let numCanonical = false;
let numInteger = false;

/** Per value slot of the message: value, its text (or -1: print String(value)), quality index. */
let slotValue = new Float64Array(1024);
let slotStart = new Int32Array(1024);
let slotEnd = new Int32Array(1024);
let slotQuality = new Uint8Array(1024);
let slots = 0;
/** Per reading: its timestamp and text. */
const readingTs = new Float64Array(MAX_READINGS_PER_MESSAGE);
const readingTsStart = new Int32Array(MAX_READINGS_PER_MESSAGE);
const readingTsEnd = new Int32Array(MAX_READINGS_PER_MESSAGE);
let readingCount = 0;
/** Keys of the first reading when the cached layout did not fit it (collected as text). */
let collected: string[] | undefined;
let layout: Layout | undefined;
let metricsPerReading = -1;

let out = Buffer.allocUnsafe(64 * 1024);

function growSlots(): void {
  const size = slotValue.length * 2;
  const v = new Float64Array(size);
  v.set(slotValue);
  slotValue = v;
  const s = new Int32Array(size);
  s.set(slotStart);
  slotStart = s;
  const e = new Int32Array(size);
  e.set(slotEnd);
  slotEnd = e;
  const q = new Uint8Array(size);
  q.set(slotQuality);
  slotQuality = q;
}

function skipWs(): void {
  while (p < n) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
    p++;
  }
}

/** After an object member or array element: 1 when a comma follows (consumed, with the blanks after it), 0 when `close` does (consumed), -1 otherwise. */
function afterMember(close: number): number {
  skipWs();
  if (b[p] === 0x2c) {
    p++;
    skipWs();
    return 1;
  }
  if (b[p] !== close) return -1;
  p++;
  return 0;
}

/** Reads `"…"` of printable ASCII without escapes into keyStart/keyEnd. */
function readString(): boolean {
  if (b[p] !== 0x22) return false;
  const start = ++p;
  while (p < n) {
    const c = b[p]!;
    if (c === 0x22) {
      keyStart = start;
      keyEnd = p++;
      return true;
    }
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
    p++;
  }
  return false;
}

/** Reads a key and the `:` after it. */
function readKey(): boolean {
  if (!readString()) return false;
  skipWs();
  if (b[p] !== 0x3a) return false;
  p++;
  skipWs();
  return true;
}

function keyIs(text: string): boolean {
  if (keyEnd - keyStart !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[keyStart + i] !== text.charCodeAt(i)) return false;
  return true;
}

function keyEquals(bytes: Uint8Array): boolean {
  const len = bytes.length;
  if (keyEnd - keyStart !== len) return false;
  for (let i = 0; i < len; i++) if (b[keyStart + i] !== bytes[i]) return false;
  return true;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/**
 * Reads a JSON number (RFC 8259 grammar, nothing looser). Its value is exact: up to 15
 * significant digits and no exponent, it is m / 10^f (both exact, one correctly rounded
 * division: what Number() gives); otherwise Number() of its text. Such a text, without trailing
 * fraction zeros, a negative zero or a value under 1e-6, is also what String(value) prints.
 */
function readNumber(): boolean {
  const start = p;
  let neg = false;
  if (b[p] === 0x2d) {
    neg = true;
    p++;
  }
  let m = 0;
  let significant = 0;
  let leadingZeros = 0;
  let fraction = 0;
  let c = b[p];
  if (c === 0x30) {
    p++;
  } else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    while (isDigit((c = b[p]))) {
      m = m * 10 + (c! - 0x30);
      significant++;
      p++;
    }
  } else {
    return false;
  }
  let canonical = true;
  let integer = true;
  if (b[p] === 0x2e) {
    p++;
    integer = false;
    if (!isDigit(b[p])) return false;
    let last = 0;
    while (isDigit((c = b[p]))) {
      last = c! - 0x30;
      if (m === 0 && last === 0) leadingZeros++;
      else significant++;
      m = m * 10 + last;
      fraction++;
      p++;
    }
    if (last === 0) canonical = false;
  }
  if (b[p] === 0x65 || b[p] === 0x45) {
    p++;
    if (b[p] === 0x2b || b[p] === 0x2d) p++;
    if (!isDigit(b[p])) return false;
    while (isDigit(b[p])) p++;
    canonical = false;
    integer = false;
  }
  if (neg && m === 0) canonical = false;
  if (significant > 15 || (significant > 0 && fraction > 0 && m < POW10[fraction]! && leadingZeros > 5)) canonical = false;
  if (canonical) {
    numValue = fraction === 0 ? m : m / POW10[fraction]!;
    if (neg) numValue = -numValue;
  } else {
    numValue = Number(b.toString('latin1', start, p));
    if (!Number.isFinite(numValue)) return false;
  }
  numStart = start;
  numEnd = p;
  numCanonical = canonical;
  numInteger = integer;
  return true;
}

/** `"…"` quality input → quality index, or -1. */
function readQuality(): number {
  if (!readString()) return -1;
  for (const q of QUALITY_INPUT_BYTES) if (keyEquals(q.bytes)) return q.index;
  return -1;
}

/** One value: a number or `{"v": number, "q": quality}` (q optional, either order). */
function readValue(): boolean {
  if (slots === slotValue.length) growSlots();
  if (b[p] !== 0x7b) {
    if (!readNumber()) return false;
    slotQuality[slots] = Q_OK;
  } else {
    p++;
    skipWs();
    let haveV = false;
    let q = -1;
    let v = 0;
    let vStart = 0;
    let vEnd = 0;
    let vCanonical = false;
    for (;;) {
      if (!readKey()) return false;
      if (keyIs('v') && !haveV) {
        if (!readNumber()) return false;
        haveV = true;
        v = numValue;
        vStart = numStart;
        vEnd = numEnd;
        vCanonical = numCanonical;
      } else if (keyIs('q') && q === -1) {
        q = readQuality();
        if (q === -1) return false;
      } else {
        return false;
      }
      const more = afterMember(0x7d);
      if (more < 0) return false;
      if (more === 0) break;
    }
    if (!haveV) return false;
    numValue = v;
    numStart = vStart;
    numEnd = vEnd;
    numCanonical = vCanonical;
    slotQuality[slots] = q === -1 ? Q_OK : q;
  }
  slotValue[slots] = numValue;
  slotStart[slots] = numCanonical ? numStart : -1;
  slotEnd[slots] = numEnd;
  slots++;
  return true;
}

/** `{"metric": value, …}` of reading `readingCount`; its keys must be the layout's, in order (or are collected for a new one). */
function readValues(station: Station, against: Against): boolean {
  if (b[p] !== 0x7b) return false;
  p++;
  skipWs();
  if (b[p] === 0x7d) return false;
  let k = 0;
  const first = readingCount === 0;
  for (;;) {
    if (!readKey()) return false;
    if (k >= MAX_VALUES_PER_READING) return false;
    if (collected) {
      collected.push(b.toString('latin1', keyStart, keyEnd));
    } else if (layout === undefined || k >= layout.keys.length || !keyEquals(layout.keyBytes[k]!)) {
      // The station's layout does not fit: only the first reading of a message may start a new one.
      if (!first) return false;
      collected = layout ? layout.keys.slice(0, k) : [];
      collected.push(b.toString('latin1', keyStart, keyEnd));
    }
    if (!readValue()) return false;
    k++;
    const more = afterMember(0x7d);
    if (more < 0) return false;
    if (more === 0) break;
  }
  // A first reading with fewer metrics than the layout: a layout of its own.
  if (!collected && k !== layout!.keys.length) {
    if (!first) return false;
    collected = layout!.keys.slice(0, k);
  }
  if (collected) {
    const fresh = buildLayout(station, against, collected);
    if (!fresh) return false;
    layouts.set(station, fresh);
    layout = fresh;
    collected = undefined;
  }
  if (first) metricsPerReading = k;
  return k === metricsPerReading;
}

/** A timestamp: a plain non-negative integer the schema takes. */
function readTs(): boolean {
  if (!readNumber() || !numInteger || !numCanonical || numValue < 0 || numValue > MAX_TIMESTAMP_MS) return false;
  if (readingCount >= MAX_READINGS_PER_MESSAGE) return false;
  readingTs[readingCount] = numValue;
  readingTsStart[readingCount] = numStart;
  readingTsEnd[readingCount] = numEnd;
  return true;
}

/** `{"ts": …, "values": {…}}`, either order, nothing else. */
function readReading(station: Station, against: Against): boolean {
  if (b[p] !== 0x7b) return false;
  p++;
  skipWs();
  let haveTs = false;
  let haveValues = false;
  for (;;) {
    if (!readKey()) return false;
    if (keyIs('ts') && !haveTs) {
      if (!readTs()) return false;
      haveTs = true;
    } else if (keyIs('values') && !haveValues) {
      if (!readValues(station, against)) return false;
      haveValues = true;
    } else {
      return false;
    }
    const more = afterMember(0x7d);
    if (more < 0) return false;
    if (more === 0) break;
  }
  if (!haveTs || !haveValues) return false;
  readingCount++;
  return true;
}

/** Parses the whole payload into the scanner's state; the sequence number, or -1 for "let the validated path decide". */
function scan(station: Station, against: Against): number {
  skipWs();
  if (b[p] !== 0x7b) return -1;
  p++;
  skipWs();
  let seq = -1;
  let haveTs = false;
  let haveValues = false;
  let haveReadings = false;
  for (;;) {
    if (!readKey()) return -1;
    if (keyIs('seq') && seq === -1) {
      if (!readNumber() || !numInteger || !numCanonical || numValue < 0 || numValue > Number.MAX_SAFE_INTEGER) return -1;
      seq = numValue;
    } else if (keyIs('ts') && !haveTs && !haveReadings) {
      if (!readTs()) return -1;
      haveTs = true;
    } else if (keyIs('values') && !haveValues && !haveReadings) {
      if (!readValues(station, against)) return -1;
      haveValues = true;
    } else if (keyIs('readings') && !haveReadings && !haveTs && !haveValues) {
      if (b[p] !== 0x5b) return -1;
      p++;
      skipWs();
      for (;;) {
        if (!readReading(station, against)) return -1;
        const more = afterMember(0x5d);
        if (more < 0) return -1;
        if (more === 0) break;
      }
      haveReadings = true;
    } else {
      return -1;
    }
    const more = afterMember(0x7d);
    if (more < 0) return -1;
    if (more === 0) break;
  }
  skipWs();
  if (p !== n || seq === -1) return -1;
  if (haveReadings) return seq;
  if (!haveTs || !haveValues) return -1;
  readingCount = 1;
  return seq;
}

/** `bytes` into `out` at `w`; the end. A loop: these are a few bytes, for which TypedArray#set's setup costs more than the copy. */
function put(bytes: Uint8Array, w: number): number {
  for (let i = 0; i < bytes.length; i++) out[w++] = bytes[i]!;
  return w;
}

function ensureOut(size: number): void {
  if (out.length < size) out = Buffer.allocUnsafe(Math.max(size, out.length * 2));
}

/** The common shape of a readings message in one pass, or undefined: the validated path decides. */
export function onePassReadings(station: Station, against: Against, payload: Buffer, o: OnePassOptions): OnePassReadings | undefined {
  if (!station.domain || station.domain === 'pollution_source') return undefined; // 折算 values: the validated path adds them
  b = payload;
  p = 0;
  n = payload.length;
  slots = 0;
  readingCount = 0;
  collected = undefined;
  metricsPerReading = -1;
  const cached = layouts.get(station);
  layout = layoutFits(cached, station, against) ? cached : undefined;
  try {
    const seq = scan(station, against);
    if (seq === -1) return undefined;
    return emit(seq, o); // (still reads the payload: copies value and timestamp texts)
  } finally {
    b = EMPTY; // no reference to the payload kept
    collected = undefined;
  }
}
const EMPTY = Buffer.alloc(0);

/** Validates (timestamps, plausibility) and writes the lines and readings, or undefined to let the validated path decide. */
function emit(seq: number, o: OnePassOptions): OnePassReadings | undefined {
  const l = layout!;
  const metrics = metricsPerReading;
  for (let r = 0; r < readingCount; r++) {
    const ts = readingTs[r]!;
    if (ts > o.nowMs + o.maxFutureSkewMs || ts < o.nowMs - o.maxAgeMs) return undefined;
  }
  let implausible = 0;
  const readings = new Array<Reading>(readingCount);
  for (let r = 0, s = 0; r < readingCount; r++) {
    const values: Record<string, { v: number; q: Quality }> = {};
    for (let k = 0; k < metrics; k++, s++) {
      const v = slotValue[s]!;
      if (slotQuality[s] === Q_OK && (v < l.min[k]! || v > l.max[k]!)) {
        slotQuality[s] = Q_IMPLAUSIBLE;
        implausible++;
      }
      values[l.keys[k]!] = { v, q: QUALITY_NAMES[slotQuality[s]!]! };
    }
    readings[r] = { ts: readingTs[r]!, values };
  }
  // Per line: prefix, space, fields (name=, value ≤ 24 bytes or quality ≤ 14), space, timestamp ≤ 16, newline.
  let namesBytes = 0;
  for (const name of l.planNames) namesBytes += name.length + 1;
  ensureOut(readingCount * (l.prefix.length + namesBytes + metrics * 40 + 20));
  let w = 0;
  for (let r = 0; r < readingCount; r++) {
    if (r > 0) out[w++] = 0x0a;
    w = put(l.prefix, w);
    out[w++] = 0x20;
    const base = r * metrics;
    for (let i = 0; i < l.plan.length; i++) {
      if (i > 0) out[w++] = 0x2c;
      w = put(l.planNames[i]!, w);
      const entry = l.plan[i]!;
      const s = base + (entry >> 1);
      if ((entry & 1) === 1) {
        w = put(QUALITY_TEXT[slotQuality[s]!]!, w);
      } else if (slotStart[s]! >= 0) {
        for (let j = slotStart[s]!, end = slotEnd[s]!; j < end; j++) out[w++] = b[j]!;
      } else {
        w += out.write(String(slotValue[s]), w, 'latin1');
      }
    }
    out[w++] = 0x20;
    for (let j = readingTsStart[r]!, end = readingTsEnd[r]!; j < end; j++) out[w++] = b[j]!;
  }
  const lines = out.toString(l.ascii ? 'latin1' : 'utf8', 0, w);
  return { seq, readings, lines, implausible };
}
