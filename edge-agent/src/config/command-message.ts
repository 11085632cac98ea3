/**
 * Downlink commands on `down/command`: `{id, name, args?, expiresAt?}` (JSON or CBOR). The
 * agent answers each with a `command_result` event on `up/events`.
 */
import * as z from 'zod';
import { decodePayload } from '@shanshui/models/edge';
import { describeIssues } from '../errors.ts';

export const CommandMessageSchema = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).default({}),
  /** ISO 8601 or epoch ms; a command arriving later is answered `expired`, not executed. */
  expiresAt: z.union([z.iso.datetime({ offset: true }), z.number().int().min(0)]).optional(),
});
export type CommandMessage = z.output<typeof CommandMessageSchema>;

export type CommandParse =
  | { readonly ok: true; readonly command: CommandMessage }
  | { readonly ok: false; readonly reason: string; readonly id?: string };

export function parseCommandPayload(payload: Uint8Array): CommandParse {
  const decoded = decodePayload(payload);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  const parsed = CommandMessageSchema.safeParse(decoded.value);
  if (parsed.success) return { ok: true, command: parsed.data };
  const v = decoded.value as { id?: unknown } | null;
  const id = typeof v === 'object' && v !== null && typeof v.id === 'string' ? v.id : undefined;
  const reason = `invalid command: ${describeIssues(parsed.error.issues)}`;
  return id === undefined ? { ok: false, reason } : { ok: false, reason, id };
}

export function isExpired(command: CommandMessage, nowMs: number): boolean {
  if (command.expiresAt === undefined) return false;
  const at = typeof command.expiresAt === 'number' ? command.expiresAt : Date.parse(command.expiresAt);
  return at <= nowMs;
}
