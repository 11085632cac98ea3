/**
 * A request header as Unicode text. HTTP header values are bytes, and Node hands them over as
 * Latin-1, so `X-Shanshui-Actor: 应急值班室` sent by curl (raw UTF-8) arrives as `åºæ¥…`.
 * Two ways carry UTF-8 here:
 * - RFC 8187 (as RFC 6266 uses it for filenames): `X-Shanshui-Actor*: UTF-8''%E5%BA%94%E6%80%A5…`
 *   — the portable one (`encodeURIComponent` in a browser, `URLEncoder` in Java); it wins when
 *   both are sent;
 * - the plain header with raw UTF-8 bytes: taken as UTF-8 when its bytes are valid UTF-8, else
 *   as the Latin-1 it then is.
 */
import type { IncomingHttpHeaders } from 'node:http';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 8187 ext-value: charset'language'pct-encoded; only UTF-8 (the RFC's must) is taken. */
function extValue(value: string): string | undefined {
  const m = /^UTF-8'[A-Za-z0-9-]*'(.*)$/i.exec(value.trim());
  if (!m) return undefined;
  try {
    return utf8.decode(Buffer.from(m[1]!.replace(/%([0-9A-Fa-f]{2})|[^%]/g, (all, hex: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : all)), 'latin1'));
  } catch {
    return undefined;
  }
}

function latin1AsUtf8(value: string): string {
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** The header `name` (lower case) as trimmed text without control characters; undefined when absent or empty. */
export function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const ext = headers[`${name}*`];
  const plain = headers[name];
  const text = typeof ext === 'string' ? extValue(ext) : typeof plain === 'string' ? latin1AsUtf8(plain) : undefined;
  const clean = text?.replace(/\p{Cc}/gu, '').trim();
  return clean ? clean : undefined;
}
