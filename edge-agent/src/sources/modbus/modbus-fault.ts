/**
 * What went wrong with one Modbus request, from the error modbus-serial reports, and the
 * quality the affected values carry (models/src/quality.ts): a silent slave or a garbled
 * answer is 通讯异常 (`comm_error`); a Modbus exception (the slave answered "illegal data
 * address", "device failure"…, Modbus Application Protocol §7) is 故障 (`fault`).
 */
import type { Quality } from '@shanshui/models/edge';

export type ModbusFaultKind = 'timeout' | 'crc' | 'bad_frame' | 'exception' | 'disconnected';

export interface ModbusFault {
  readonly kind: ModbusFaultKind;
  /** Modbus exception code (1 illegal function, 2 illegal data address, 3 illegal data value, 4 device failure, …). */
  readonly exceptionCode?: number;
  readonly quality: Quality;
  readonly message: string;
}

export function classifyModbusError(err: unknown): ModbusFault {
  const e = (err ?? {}) as { message?: unknown; errno?: unknown; code?: unknown; modbusCode?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.modbusCode === 'number') return { kind: 'exception', exceptionCode: e.modbusCode, quality: 'fault', message };
  if (e.errno === 'ETIMEDOUT' || /timed out/i.test(message)) return { kind: 'timeout', quality: 'comm_error', message };
  if (/CRC error/i.test(message)) return { kind: 'crc', quality: 'comm_error', message };
  if (/data length error|unexpected data error|bad response/i.test(message)) return { kind: 'bad_frame', quality: 'comm_error', message };
  return { kind: 'disconnected', quality: 'comm_error', message };
}
