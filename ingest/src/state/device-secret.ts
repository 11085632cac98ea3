/**
 * Device secrets: generated once, shown once, kept only as a scrypt hash
 * (`scrypt$N$r$p$salt$hash`, base64url), verified in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

function scryptAsync(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a secret; `cost` is scrypt's N (a power of two; default 16384). */
export async function hashSecret(secret: string, cost = 16384): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, cost, 8, 1);
  return `scrypt$${cost}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
