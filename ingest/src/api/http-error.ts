/**
 * The one error shape of the HTTP API: `{ error: { code, message, field? } }` with the status of
 * the code in the catalogue (api-errors.ts); `field` names the bad part of the request
 * (e.g. `limit`, `body.levels.red`) when one part is to blame.
 */
import type { z } from 'zod';
import { API_ERRORS } from './api-errors.ts';
import type { ApiErrorCode } from './api-errors.ts';

export interface HttpErrorOptions extends ErrorOptions {
  /** The request part to blame: a query or path parameter, or a body path (`levels.red`). */
  readonly field?: string;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly field: string | undefined;
  constructor(code: ApiErrorCode, message: string = API_ERRORS[code].message, options?: HttpErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
    this.status = API_ERRORS[code].status;
    this.code = code;
    this.field = options?.field;
  }

  /** The answer's body. */
  body(): { error: { code: ApiErrorCode; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) } };
  }
}

/** `a.b.0` for a zod issue path; `(root)` for the whole value. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

/** Where an issue is: its path, and for an unknown key (zod's `unrecognized_keys`) that key itself — the part to blame. */
export function issueAt(issue: { readonly path?: readonly PropertyKey[]; readonly code?: string; readonly keys?: readonly string[] }): readonly PropertyKey[] {
  const path = issue.path ?? [];
  return issue.code === 'unrecognized_keys' && issue.keys?.[0] !== undefined ? [...path, issue.keys[0]] : path;
}

/** The 400 for zod issues: every bad field in the message, the first one as `field`. */
export function validationError(issues: readonly z.core.$ZodIssue[], what: string): HttpError {
  const reason = issues.map((i) => `${issuePath(issueAt(i))}: ${i.message}`).join('; ');
  const first = issues[0] && issueAt(issues[0]);
  return new HttpError('API_ERR_VALIDATION', `invalid ${what}: ${reason}`, first && first.length > 0 ? { field: issuePath(first) } : undefined);
}

/** Parses `value` with `schema` or throws a 400 naming every bad field. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(r.error.issues, what);
}
