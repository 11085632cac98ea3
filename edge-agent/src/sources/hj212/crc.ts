/**
 * HJ 212 CRC (docs/standards/hj212.md §1.2). It is NOT CRC-16/MODBUS: each byte replaces the low half of the
 * shifted register (`crc = (crc >> 8) ^ b`) instead of being XORed into it, and several public
 * parsers get this wrong — so the verified packets of §1.3 are the tests.
 */

/** CRC of an HJ 212 data segment (strings are taken as UTF-8 bytes, as they go on the wire). */
export function hj212Crc(data: Buffer | string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = 0xffff;
  for (const b of bytes) {
    crc = (crc >> 8) ^ b;
    for (let i = 0; i < 8; i++) {
      const lsb = crc & 1;
      crc >>= 1;
      if (lsb) crc ^= 0xa001;
    }
  }
  return crc;
}

/** The CRC as it is written on the wire: 4 uppercase hex digits (devices vary; we emit uppercase). */
export function hj212CrcHex(data: Buffer | string): string {
  return hj212Crc(data).toString(16).toUpperCase().padStart(4, '0');
}
