/**
 * Remote configuration from `down/config` (retained): decode → AgentConfigSchema → checks the
 * schema cannot express (two sources on one port, duplicate command names). A config that
 * fails any step is rejected with the reason, and the agent keeps running the last good one.
 */
import { AgentConfigSchema, decodePayload } from '@shanshui/models/edge';
import type { AgentConfig } from '@shanshui/models/edge';
import { describeIssues } from '../errors.ts';

export type ConfigCheck = { readonly ok: true; readonly config: AgentConfig } | { readonly ok: false; readonly reason: string; readonly version?: number };

/** Validates an already-decoded value (a config file, an HTTP body, a decoded payload). */
export function checkAgentConfig(value: unknown): ConfigCheck {
  const version =
    typeof value === 'object' && value !== null && typeof (value as { version?: unknown }).version === 'number'
      ? (value as { version: number }).version
      : undefined;
  const withVersion = (reason: string): ConfigCheck => (version === undefined ? { ok: false, reason } : { ok: false, reason, version });
  const parsed = AgentConfigSchema.safeParse(value);
  if (!parsed.success) return withVersion(`invalid config: ${describeIssues(parsed.error.issues)}`);
  const config = parsed.data;
  const ports = new Map<string, number>();
  for (const [i, s] of config.sources.entries()) {
    if (s.kind !== 'hj212' && s.kind !== 'sl651') continue;
    const key = String(s.port);
    const other = ports.get(key);
    if (other !== undefined) return withVersion(`sources.${i}: port ${s.port} is already used by sources.${other}`);
    ports.set(key, i);
  }
  const commands = new Set<string>();
  for (const [i, s] of config.sources.entries()) {
    if (s.kind !== 'opcua') continue;
    for (const c of s.commands) {
      if (commands.has(c.name)) return withVersion(`sources.${i}: command ${c.name} is defined twice`);
      commands.add(c.name);
    }
  }
  return { ok: true, config };
}

/** Decodes a `down/config` payload (JSON or CBOR) and validates it; never throws. */
export function parseConfigPayload(payload: Uint8Array): ConfigCheck {
  const decoded = decodePayload(payload);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  return checkAgentConfig(decoded.value);
}

/** The config an agent runs before the platform sent one: no sources, defaults everywhere. */
export function defaultAgentConfig(): AgentConfig {
  return AgentConfigSchema.parse({ version: 0 });
}
