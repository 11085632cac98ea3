/**
 * The platform's pino logger: JSON lines on stdout for machines (systemd, Docker, Loki), or
 * pino-pretty's human lines (local time, level in colour, fields indented) for a person at a
 * terminal. main.ts and the demo pick: `SHANSHUI_LOG_FORMAT` json | pretty | auto (default: pretty
 * when stdout is a TTY).
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export interface LoggerOptions {
  /** Human lines instead of JSON. Default false. */
  readonly pretty?: boolean;
}

export function createLogger(level: string, name = 'shanshui', options: LoggerOptions = {}): Logger {
  if (!options.pretty) return pino({ name, level });
  // Synchronous (no worker thread): a person's terminal, not a hot log shipper.
  return pino({ name, level }, PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name', sync: true }));
}

/** Whether `format` (auto | json | pretty) means human lines on this stdout. */
export function wantsPrettyLog(format: string, stdoutIsTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}
