/**
 * The audit log: every change and every command through the API — who (token id and name),
 * what (method, route, target, a summary without secrets), when, from where. Append-only:
 * the store has no UPDATE or DELETE, and triggers make the database refuse them from anywhere.
 */
import { urlForLog } from '@shanshui/models';

export interface AuditEntryInput {
  /** A principal, or who acted without one (a gateway's bootstrap token: role 'none'). */
  readonly actor: { readonly id: string; readonly name: string; readonly role: string };
  readonly ip: string;
  readonly method: string;
  /** The route pattern, e.g. `/api/v1/stations/:id`. */
  readonly route: string;
  readonly status: number;
  readonly target: string | null;
  /** Departments the target belongs to; null = global (shown only to '*' tokens). */
  readonly departments: readonly string[] | null;
  readonly summary: unknown;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actorId: string;
  readonly actorName: string;
  readonly actorRole: string;
  readonly ip: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly target: string | null;
  readonly departments: readonly string[] | null;
  readonly summary: unknown;
}

export interface AuditFilter {
  readonly limit: number;
  readonly beforeId?: number;
  readonly actor?: string;
  readonly target?: string;
  /** Only entries whose departments all lie inside these; undefined = every entry. */
  readonly departments?: readonly string[];
}

/** Keys whose values never reach the log (secrets, passwords, tokens), at any depth. */
const SECRET_KEY = /secret|password|passwd|token|credential|private|^key$/i;
/** A JSON-safe copy of `value` with secret-looking keys replaced by '[redacted]', and URLs' credentials and query values masked (urlForLog). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
  }
  if (typeof value !== 'string') return value;
  const text = urlForLog(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Largest summary kept, characters of JSON; longer ones are cut and marked `truncated`. */
export const MAX_SUMMARY_CHARS = 2000;

/** The stored form of an entry's summary: redacted JSON, cut to MAX_SUMMARY_CHARS. */
export function summaryText(summary: unknown): string | null {
  const text = summary === undefined ? null : JSON.stringify(redact(summary));
  return text && text.length > MAX_SUMMARY_CHARS ? JSON.stringify({ truncated: text.slice(0, MAX_SUMMARY_CHARS) }) : text;
}

export interface AuditLog {
  /** Appends an entry; returns its id. */
  append(e: AuditEntryInput, nowMs?: number): Promise<number>;
  /** Newest first. */
  list(f: AuditFilter): Promise<AuditEntry[]>;
}
