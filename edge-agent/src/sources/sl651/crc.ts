/**
 * SL 651-2014 frame check (docs/standards/sl651.md §2.1): CRC-16/MODBUS (reflected poly 0xA001, init 0xFFFF)
 * over every byte from the first 0x7E through the end char, sent high byte first. Unlike
 * HJ 212's variant, each byte is XORed into the register.
 */

export function sl651Crc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
