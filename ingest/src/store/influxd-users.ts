/**
 * Authentication of the managed influxd: an admin user (for the platform's own provisioning
 * only) and a platform user with exactly what the platform needs — READ and WRITE on its one
 * database (readings API, map reload, writes), nothing else (no other database, no user
 * management, no DROP DATABASE). Passwords are generated once and kept in
 * `credentials.json` (mode 0600) in the influxd data folder.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IngestError } from '../errors.ts';
import { basicAuth } from './influx-http.ts';

const UserSchema = z.object({ username: z.string().min(1), password: z.string().min(16) });
const CredentialsSchema = z.object({ admin: UserSchema, platform: UserSchema });
export type InfluxdCredentials = z.output<typeof CredentialsSchema>;
export type InfluxdUser = z.output<typeof UserSchema>;

export const CREDENTIALS_FILE = 'credentials.json';

function quoteIdent(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Runs one InfluxQL statement (POST), as `user` when given; throws with InfluxDB's answer on failure. */
async function influxql(url: string, q: string, user?: InfluxdUser): Promise<void> {
  // Credentials in a Basic Authorization header (influxd 1.x takes it; never in the URL), the statement in the body.
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }), ...(user ? { headers: { authorization: basicAuth(user.username, user.password) } } : {}), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const body = (() => {
    try {
      return JSON.parse(text) as { error?: string; results?: Array<{ error?: string }> };
    } catch {
      return { error: text };
    }
  })();
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new IngestError('INGEST_ERR_INFLUXD_AUTH', `${q.replace(/PASSWORD '.*?'/g, "PASSWORD '…'")}: ${res.status} ${error ?? ''}`);
}

async function readCredentials(file: string): Promise<InfluxdCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  await chmod(file, 0o600);
  return CredentialsSchema.parse(JSON.parse(text));
}

/**
 * Makes sure both users exist with the stored passwords and the platform user has READ+WRITE on
 * `database` (created here, as admin). First start: generates the passwords, stores them, then
 * creates the admin user (InfluxDB allows that one statement without credentials while it has
 * no user at all). Returns the credentials.
 */
export async function provisionInfluxdUsers(url: string, dir: string, database: string): Promise<InfluxdCredentials> {
  const file = path.join(dir, CREDENTIALS_FILE);
  let creds = await readCredentials(file);
  const fresh = creds === undefined;
  if (!creds) {
    creds = {
      admin: { username: 'shanshui_admin', password: randomBytes(24).toString('base64url') },
      platform: { username: 'shanshui_platform', password: randomBytes(24).toString('base64url') },
    };
    // Stored before any user exists, so a crash in between never leaves users whose passwords are lost.
    await writeFile(`${file}.tmp`, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }
  const { admin, platform } = creds;
  if (fresh) {
    try {
      await influxql(url, `CREATE USER ${quoteIdent(admin.username)} WITH PASSWORD ${quoteString(admin.password)} WITH ALL PRIVILEGES`);
    } catch (err) {
      throw new IngestError('INGEST_ERR_INFLUXD_AUTH', `this InfluxDB data folder already has users but ${file} was missing; restore that file (or start from an empty folder)`, { cause: err });
    }
  }
  await influxql(url, `CREATE DATABASE ${quoteIdent(database)}`, admin);
  try {
    await influxql(url, `CREATE USER ${quoteIdent(platform.username)} WITH PASSWORD ${quoteString(platform.password)}`, admin);
  } catch {
    // exists: make its password the stored one
    await influxql(url, `SET PASSWORD FOR ${quoteIdent(platform.username)} = ${quoteString(platform.password)}`, admin);
  }
  await influxql(url, `REVOKE ALL PRIVILEGES FROM ${quoteIdent(platform.username)}`, admin);
  await influxql(url, `GRANT ALL ON ${quoteIdent(database)} TO ${quoteIdent(platform.username)}`, admin);
  return creds;
}
