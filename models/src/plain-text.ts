/**
 * Free text that people type and that travels on: station names, rule names, notes. It ends up
 * in CAP XML, in Grafana, on the map and in SMS gateways, so control characters (Unicode Cc:
 * U+0000–U+001F, U+007F–U+009F) and lone surrogates are refused at the API, naming the field —
 * XML 1.0 cannot carry most of them at all. Notes may keep line breaks and tabs.
 */
import * as z from 'zod';

const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINES = /(?![\t\n\r])\p{Cc}/u;
const MESSAGE = 'control characters (U+0000–U+001F, U+007F–U+009F) and unpaired surrogates are not allowed';

/** One line of text: a name, 1 to `max` characters, no control characters. */
export function plainNameSchema(max: number): z.ZodString {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s) && s.isWellFormed(), MESSAGE);
}

/** Longer text (a note): up to `max` characters; line breaks and tabs allowed, other control characters not. */
export function plainTextSchema(max: number): z.ZodString {
  return z
    .string()
    .max(max)
    .refine((s) => !CONTROL_BUT_LINES.test(s) && s.isWellFormed(), MESSAGE);
}
