/**
 * fastify's error handler for the API: every error becomes the one shape
 * `{ error: { code, message, field? } }` (http-error.ts) with a code of the catalogue
 * (api-errors.ts). Schema validation failures (fastify-type-provider-zod) name the bad field;
 * fastify's own 4xx keep their reason under a code of ours; anything else is a logged 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, issueAt, issuePath } from './http-error.ts';

/** What fastify calls the part of the request that failed validation, as our messages say it. */
const PART: Readonly<Record<string, string>> = { querystring: 'query', params: 'path', body: 'body', headers: 'headers' };

interface ValidationEntry {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: {
    readonly keys?: readonly string[];
    readonly issue?: { readonly path?: readonly PropertyKey[]; readonly code?: string; readonly keys?: readonly string[] };
  };
}

/** The part of the request an entry blames: the zod issue's path (an unknown key: the key itself). */
function entryAt(e: ValidationEntry): readonly PropertyKey[] {
  if (e.params?.issue?.path) return issueAt(e.params.issue);
  const path = (e.instancePath ?? '').split('/').filter((p) => p !== '');
  return issueAt({ path, ...(e.keyword !== undefined ? { code: e.keyword } : {}), ...(e.params?.keys ? { keys: e.params.keys } : {}) });
}

/** A failed schema validation as our 400: every issue in the message, the first one's path as `field`. */
function fromValidation(entries: readonly ValidationEntry[], context: string | undefined): HttpError {
  const paths = entries.map((e) => issuePath(entryAt(e)));
  const reason = entries.map((e, i) => `${paths[i]}: ${e.message ?? 'invalid'}`).join('; ');
  const field = paths[0] !== undefined && paths[0] !== '(root)' ? paths[0] : undefined;
  return new HttpError('API_ERR_VALIDATION', `invalid ${PART[context ?? ''] ?? context ?? 'request'}: ${reason}`, field !== undefined ? { field } : undefined);
}

/** Our HttpError for whatever a route, a hook or fastify itself threw; `undefined` = a 500. */
export function toHttpError(err: unknown, contentType: string | undefined): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const e = err as Partial<FastifyError> & { validation?: readonly ValidationEntry[]; validationContext?: string };
  if (Array.isArray(e.validation)) return fromValidation(e.validation, e.validationContext);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new HttpError(
      'API_ERR_UNSUPPORTED_MEDIA_TYPE',
      `the body must be JSON, sent as content type application/json (got ${contentType ?? 'none'}): with curl add -H 'content-type: application/json' (curl -d alone sends application/x-www-form-urlencoded)`,
    );
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError('API_ERR_BODY_TOO_LARGE', e.message, { cause: err });
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return new HttpError('API_ERR_BAD_REQUEST', e.message, { cause: err });
  return undefined;
}

export function apiErrorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = toHttpError(err, req.headers['content-type']);
  if (known) return reply.code(known.status).send(known.body());
  req.log.error({ err }, 'request failed');
  const internal = new HttpError('API_ERR_INTERNAL', 'internal error');
  return reply.code(internal.status).send(internal.body());
}
