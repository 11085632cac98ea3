/**
 * One-step provisioning of a gateway: POST the one-time bootstrap token to
 * `{server}/api/v1/provision`, validate the answer, store the credentials (and the initial
 * config, when the platform has one) owner-only in the agent's folder (0700, files 0600).
 * Over https:// the platform is verified against `ca` when given (kept in the folder as
 * `platform-ca.pem`, so `run` verifies the MQTT TLS connection against it too).
 * A refusal (unknown, used or expired token; rate limit) throws `AgentError`
 * EDGE_ERR_PROVISION_REFUSED carrying the server's code and message.
 */
import path from 'node:path';
import * as z from 'zod';
import { DOMAINS } from '@shanshui/models/edge';
import type { AgentConfig } from '@shanshui/models/edge';
import { AgentError, describeIssues } from './errors.ts';
import { ensurePrivateDir, writePrivateFile } from './config/private-file.ts';
import { ConfigFile } from './config/config-file.ts';
import { checkAgentConfig } from './config/remote-config.ts';
import { CONFIG_FILE, PLATFORM_CA_FILE, saveCredentials } from './credentials.ts';
import { postJson } from './post-json.ts';
import type { PostJsonResponse } from './post-json.ts';
import type { AgentCredentials } from './credentials.ts';

export const ProvisionResponseSchema = z.object({
  stationId: z.string().min(1),
  station: z.object({ domain: z.enum(DOMAINS) }).passthrough().optional(),
  credentials: z.object({
    clientId: z.string().min(1),
    username: z.string().min(1),
    password: z.string().min(1),
    mqtt: z.object({ tcp: z.string().regex(/^mqtt:\/\//), tls: z.string().regex(/^mqtts:\/\//).optional() }).passthrough(),
    topics: z.record(z.string(), z.string()).optional(),
  }),
  config: z.unknown().nullable().optional(),
});

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface ProvisionOptions {
  /** Platform base URL, e.g. `https://10.0.0.5:8443` (plain `http://` only where the platform allows it). Required. */
  readonly server: string;
  /** PEM CA bundle that signed the platform's certificate (a private CA). Default: Node's CAs. */
  readonly ca?: string;
  /** The one-time bootstrap token. Required. */
  readonly token: string;
  /** The agent's folder. Required. */
  readonly dir: string;
  /** Request timeout, ms. Default 30000. */
  readonly timeoutMs?: number;
}

export interface ProvisionResult {
  readonly stationId: string;
  readonly credentials: AgentCredentials;
  /** The initial config, when the platform had one for the station. */
  readonly config: AgentConfig | undefined;
  /** A config the platform sent that this agent could not validate (stored nothing). */
  readonly configProblem?: string;
  readonly dir: string;
}

/** Server refusals carry the HTTP status and the platform's error code. */
export class ProvisionRefusedError extends AgentError {
  readonly status: number;
  readonly serverCode: string;
  constructor(status: number, serverCode: string, message: string) {
    super('EDGE_ERR_PROVISION_REFUSED', `${status} ${serverCode}: ${message}`);
    this.name = 'ProvisionRefusedError';
    this.status = status;
    this.serverCode = serverCode;
  }
}

export async function provisionAgent(options: ProvisionOptions): Promise<ProvisionResult> {
  const url = new URL('/api/v1/provision', options.server).toString();
  let res: PostJsonResponse;
  try {
    res = await postJson(url, { token: options.token }, { timeoutMs: options.timeoutMs ?? 30_000, ...(options.ca ? { ca: options.ca } : {}) });
  } catch (err) {
    throw new AgentError('EDGE_ERR_PROVISION_UNREACHABLE', `${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const text = res.text;
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status !== 201 && res.status !== 200) {
    const e = ErrorBodySchema.safeParse(body);
    throw new ProvisionRefusedError(res.status, e.success ? e.data.error.code : 'HTTP_ERROR', e.success ? e.data.error.message : text.slice(0, 200) || res.statusText);
  }
  const parsed = ProvisionResponseSchema.safeParse(body);
  if (!parsed.success) throw new AgentError('EDGE_ERR_PROVISION_RESPONSE', describeIssues(parsed.error.issues), { cause: parsed.error });
  const r = parsed.data;
  const credentials: AgentCredentials = {
    stationId: r.stationId,
    clientId: r.credentials.clientId,
    username: r.credentials.username,
    password: r.credentials.password,
    mqtt: { tcp: r.credentials.mqtt.tcp, ...(r.credentials.mqtt.tls ? { tls: r.credentials.mqtt.tls } : {}) },
    domain: r.station?.domain ?? 'air',
    server: options.server,
    provisionedAt: new Date().toISOString(),
  };
  const dir = path.resolve(options.dir);
  ensurePrivateDir(dir);
  if (options.ca) writePrivateFile(path.join(dir, PLATFORM_CA_FILE), options.ca);
  saveCredentials(dir, credentials);
  let config: AgentConfig | undefined;
  let configProblem: string | undefined;
  if (r.config !== null && r.config !== undefined) {
    const check = checkAgentConfig(r.config);
    if (check.ok) {
      config = check.config;
      new ConfigFile(path.join(dir, CONFIG_FILE)).save(config);
    } else {
      configProblem = check.reason;
    }
  }
  return { stationId: r.stationId, credentials, config, ...(configProblem ? { configProblem } : {}), dir };
}
