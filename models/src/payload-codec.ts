/**
 * Payload encodings on the wire: JSON by default, CBOR (RFC 8949) for NB-IoT's tiny payloads.
 * The decoder sniffs: a payload whose first non-blank byte is `{` is JSON, anything else CBOR.
 * (A CBOR envelope is a map, major type 5, never 0x7B.) A payload that starts as neither — plain
 * text such as `pm25=35`, or bytes — is "not JSON or CBOR", shown as text when it is UTF-8.
 */
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';

export type PayloadEncoding = 'json' | 'cbor';

export type DecodeResult =
  | { readonly ok: true; readonly encoding: PayloadEncoding; readonly value: unknown }
  | { readonly ok: false; readonly encoding: PayloadEncoding; readonly reason: string };

function firstSignificantByte(payload: Uint8Array): number | undefined {
  for (const b of payload) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
}

export function sniffEncoding(payload: Uint8Array): PayloadEncoding {
  return firstSignificantByte(payload) === 0x7b ? 'json' : 'cbor';
}

/** Decodes a payload; never throws. */
export function decodePayload(payload: Uint8Array): DecodeResult {
  if (payload.length === 0) return { ok: false, encoding: 'json', reason: 'empty payload' };
  const encoding = sniffEncoding(payload);
  if (encoding === 'cbor' && !startsAsCborMap(payload)) {
    return { ok: false, encoding, reason: `not JSON or CBOR: ${preview(payload)} — a readings message is a JSON object ({"seq": …}) or a CBOR map` };
  }
  try {
    if (encoding === 'json') {
      return { ok: true, encoding, value: JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8')) };
    }
    return { ok: true, encoding, value: cborDecode(payload) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, encoding, reason: `not valid ${encoding === 'json' ? 'JSON' : 'CBOR (and not JSON)'}: ${message}` };
  }
}

export function encodePayload(value: unknown, encoding: PayloadEncoding): Buffer {
  return encoding === 'json' ? Buffer.from(JSON.stringify(value)) : Buffer.from(cborEncode(value));
}

/** A CBOR map (major type 5), possibly behind tags (major type 6, e.g. the self-describe tag 55799). */
function startsAsCborMap(payload: Uint8Array): boolean {
  const first = payload[0]!;
  return (first >= 0xa0 && first <= 0xbf) || (first >= 0xc0 && first <= 0xdb);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload's start as quoted text when it is UTF-8, else as hex bytes. */
export function preview(payload: Uint8Array, maxChars = 60): string {
  try {
    const text = utf8.decode(payload);
    return `plain text "${text.length > maxChars ? `${text.slice(0, maxChars)}…` : text}"`;
  } catch {
    const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, 16)).toString('hex');
    return `bytes 0x${head}${payload.length > 16 ? '…' : ''}`;
  }
}

/** The payload as text when it is UTF-8 (dead letters show it so), else undefined. */
export function payloadText(payload: Uint8Array): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}
