/**
 * A webhook subscription of an emergency centre: where to POST, the shared secret to sign
 * with, which alerts (filters) and in which format. Refused with a reason when the URL is not
 * http(s), carries credentials, or the secret is short.
 */
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, plainNameSchema } from '@shanshui/models';
import { ALERT_EVENTS } from '../alerts/alert.ts';

/** Shortest secret accepted: 24 characters (HMAC keys shorter than the hash add little and are guessable). */
export const MIN_SECRET_LENGTH = 24;

const HttpUrl = z
  .string()
  .max(2048)
  .refine((s) => URL.canParse(s), 'not a valid URL')
  .refine((s) => !URL.canParse(s) || ['http:', 'https:'].includes(new URL(s).protocol), 'must be an http:// or https:// URL')
  .refine((s) => !URL.canParse(s) || (new URL(s).username === '' && new URL(s).password === ''), 'must not carry credentials; the secret signs the deliveries');

export const SubscriptionFiltersSchema = z
  .object({
    departments: z.array(z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lowercase department code')).min(1).optional(),
    domains: z.array(z.enum(DOMAINS)).min(1).optional(),
    /** Region code prefixes (GB/T 2260): '4401' matches every district of 广州. */
    regions: z.array(z.string().regex(/^\d{2,12}$/, '2–12 digit region code prefix')).min(1).optional(),
    /** Least severe level delivered. Default blue (all). */
    minLevel: z.enum(WARNING_LEVELS).default('blue'),
    /** Event types delivered. Default all four. */
    events: z.array(z.enum(ALERT_EVENTS)).min(1).optional(),
  })
  .strict();

export const SubscriptionInputSchema = z
  .object({
    name: plainNameSchema(200),
    url: HttpUrl,
    secret: z.string().min(MIN_SECRET_LENGTH, `at least ${MIN_SECRET_LENGTH} characters`).max(512),
    filters: SubscriptionFiltersSchema.default({ minLevel: 'blue' }),
    /** 'json': the platform's documented JSON (schema at /api/v1/schema/webhook-event.json); 'cap': CAP 1.2 XML. Default json. */
    format: z.enum(['json', 'cap']).default('json'),
    /** 'hmac-sha256' (default) or 'hmac-sm3' (国密). */
    signature: z.enum(['hmac-sha256', 'hmac-sm3']).default('hmac-sha256'),
    enabled: z.boolean().default(true),
  })
  .strict();

export type SubscriptionInput = z.output<typeof SubscriptionInputSchema>;

/** Creating a subscription may also ask for the warnings open right now. */
export const SubscriptionCreateSchema = SubscriptionInputSchema.extend({
  /** Queue the alerts open now that the filters match (each as its latest event) for this receiver. Default false. */
  snapshot: z.boolean().default(false).describe('also deliver the warnings open right now that the filters match, each as its latest event'),
}).strict();

export interface Subscription extends SubscriptionInput {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A subscription as the API shows it: the secret is never shown again, only its last 4 characters. */
export function publicSubscription(s: Subscription): Omit<Subscription, 'secret'> & { secretHint: string } {
  const { secret, ...rest } = s;
  return { ...rest, secretHint: `…${secret.slice(-4)}` };
}
