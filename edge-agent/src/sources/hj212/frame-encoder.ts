/**
 * Wraps an HJ 212 data segment in its frame (docs/standards/hj212.md §1.1): `##` + 4-digit length + data +
 * CRC (§1.2, emitted uppercase) + `\r\n`. The length counts bytes, not characters, because
 * that is what the receiving parser counts.
 */
import { hj212CrcHex } from './crc.ts';

/** Largest data segment a 4-digit length can describe. */
export const HJ212_MAX_DATA_LENGTH = 9999;

export function encodeHj212Frame(data: string): string {
  const length = Buffer.byteLength(data, 'utf8');
  if (length > HJ212_MAX_DATA_LENGTH) {
    throw new RangeError(`HJ 212 data segment of ${length} bytes exceeds ${HJ212_MAX_DATA_LENGTH}`);
  }
  return `##${String(length).padStart(4, '0')}${data}${hj212CrcHex(data)}\r\n`;
}
