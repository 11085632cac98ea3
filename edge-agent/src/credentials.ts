/**
 * The agent's device credentials as provisioning stored them (`{dir}/credentials.json`, 0600):
 * MQTT identity and secret, broker URLs, the station's domain. Validated on every load.
 */
import path from 'node:path';
import * as z from 'zod';
import { DOMAINS } from '@shanshui/models/edge';
import { AgentError, describeIssues } from './errors.ts';
import { readOptionalFile, writePrivateFile } from './config/private-file.ts';

export const AgentCredentialsSchema = z.object({
  stationId: z.string().min(1).max(64),
  clientId: z.string().min(1).max(64),
  username: z.string().min(1).max(64),
  password: z.string().min(1),
  mqtt: z.object({
    /** `mqtt://host:port`. */
    tcp: z.string().regex(/^mqtt:\/\//, 'an mqtt:// URL'),
    /** `mqtts://host:port`, when the platform listens for TLS. */
    tls: z.string().regex(/^mqtts:\/\//, 'an mqtts:// URL').optional(),
  }),
  /** The station's domain (what the simulated source generates). Default `air`. */
  domain: z.enum(DOMAINS).default('air'),
  /** Where it was provisioned from, and when. */
  server: z.string().optional(),
  provisionedAt: z.string().optional(),
});
export type AgentCredentials = z.output<typeof AgentCredentialsSchema>;
export type AgentCredentialsInput = z.input<typeof AgentCredentialsSchema>;

export const CREDENTIALS_FILE = 'credentials.json';
export const CONFIG_FILE = 'config.json';
export const BUFFER_FILE = 'buffer.db';
/** The CA given at provisioning (`--ca`): verifies the platform's HTTPS and MQTT TLS certificates. */
export const PLATFORM_CA_FILE = 'platform-ca.pem';

export function credentialsPath(dir: string): string {
  return path.join(dir, CREDENTIALS_FILE);
}

export function loadCredentials(dir: string): AgentCredentials {
  const file = credentialsPath(dir);
  const text = readOptionalFile(file);
  if (text === undefined) throw new AgentError('EDGE_ERR_CREDENTIALS_MISSING', `${file} does not exist`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AgentError('EDGE_ERR_CREDENTIALS_INVALID', `${file}: not JSON`, { cause: err });
  }
  const parsed = AgentCredentialsSchema.safeParse(value);
  if (!parsed.success) throw new AgentError('EDGE_ERR_CREDENTIALS_INVALID', `${file}: ${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
  return parsed.data;
}

export function saveCredentials(dir: string, credentials: AgentCredentials): void {
  writePrivateFile(credentialsPath(dir), `${JSON.stringify(credentials, null, 2)}\n`);
}
