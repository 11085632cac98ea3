/**
 * Signature of a delivery: `X-Shanshui-Signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">`,
 * HMAC-SHA256 or HMAC-SM3 (国密) as the subscription asks (header `X-Shanshui-Signature-Alg`).
 * Signing the timestamp with the body lets receivers refuse replays older than a few minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureAlgorithm = 'hmac-sha256' | 'hmac-sm3';

const HASH: Readonly<Record<SignatureAlgorithm, string>> = { 'hmac-sha256': 'sha256', 'hmac-sm3': 'sm3' };

export function webhookHmac(algorithm: SignatureAlgorithm, secret: string, t: number, body: string): string {
  return createHmac(HASH[algorithm], secret).update(`${t}.${body}`).digest('hex');
}

export function signWebhook(algorithm: SignatureAlgorithm, secret: string, body: string, t: number = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${webhookHmac(algorithm, secret, t, body)}`;
}

/** Receiver side: true when `header` signs `body` with `secret` and is at most `toleranceSec` old. */
export function verifyWebhookSignature(
  header: string,
  body: string,
  secret: string,
  options: { algorithm?: SignatureAlgorithm; toleranceSec?: number; nowSec?: number } = {},
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  const v1 = parts['v1'];
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]+$/.test(v1)) return false;
  const now = options.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(webhookHmac(options.algorithm ?? 'hmac-sha256', secret, t, body), 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
