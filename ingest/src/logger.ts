/** The platform's pino logger: JSON lines on stdout. */
import { pino } from 'pino';
import type { Logger } from 'pino';

export function createLogger(level: string, name = 'shanshui'): Logger {
  return pino({ name, level });
}
