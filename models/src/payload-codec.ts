/**
 * Payload encodings on the wire: JSON by default, CBOR (RFC 8949) for NB-IoT's tiny payloads.
 * The decoder sniffs: a payload whose first non-blank byte is `{` is JSON, anything else CBOR.
 * (A CBOR envelope is a map, major type 5, never 0x7B.)
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
