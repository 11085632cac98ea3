/**
 * node-opcua writes its own warnings and errors as coloured plain text on the console, in the
 * middle of the agent's JSON log (a log shipper then sees lines it cannot parse). node-opcua-debug
 * lets a program replace those writers: this routes them through the agent's pino logger
 * (`component: "opcua"`, the node-opcua file as `source`), ANSI colours stripped. Process-wide:
 * the agent calls it when an OPC-UA source first loads (with the logger its program gave it), so
 * node-opcua-debug is not loaded by an agent without OPC-UA.
 */
import { format } from 'node:util';
import { setDebugLogger, setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import type { Logger } from 'pino';

 
const ANSI = /\u001b\[[0-9;]*m/g;

function text(args: readonly unknown[]): string {
  return format(...args).replace(ANSI, '').trim();
}

function sourceOf(context: unknown): string | undefined {
  const file = (context as { filename?: unknown } | undefined)?.filename;
  return typeof file === 'string' ? file : undefined;
}

export function routeOpcuaLogs(logger: Logger): void {
  const log = logger.child({ component: 'opcua' });
  // node-opcua calls these with a context object first ({filename, callerline}), then the message parts.
  setErrorLogger((context?: unknown, ...args: unknown[]) => log.error({ source: sourceOf(context) }, text(args)));
  setWarningLogger((context?: unknown, ...args: unknown[]) => log.warn({ source: sourceOf(context) }, text(args)));
  setTraceLogger((context?: unknown, ...args: unknown[]) => log.trace({ source: sourceOf(context) }, text(args)));
  setDebugLogger((context?: unknown, ...args: unknown[]) => log.debug({ source: sourceOf(context) }, text(args)));
}
