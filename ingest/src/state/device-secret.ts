/**
 * Device secrets: generated once, shown once, stored only as a one-way hash, verified in constant
 * time. Two kinds of secret, two kinds of hash (docs/capacity.md, "Reconnect storm"):
 * - platform-generated: 256 random bits. Nothing can be guessed, so a slow hash adds no safety —
 *   only CPU to every CONNECT (scrypt at N=16384 costs ~35 ms, ~54 connects/s per core). Stored
 *   as HMAC-SHA-256 under a server key kept outside the database:
 *   `hmac-sha256$<key id>$<mac>` (base64url). A stolen database alone verifies nothing.
 * - chosen by a person: scrypt (`scrypt$N$r$p$salt$hash`, base64url).
 * Stations registered before keyed hashes were stored as scrypt of a generated secret
 * (24 random bytes, 32 base64url characters): the first successful CONNECT verifies the scrypt
 * hash once and hands back the keyed hash to store instead — no reset, no device change.
 */
import { createHash, createHmac, createSecretKey, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * scrypt's N when nobody chose another: the cost of hashing a secret or password a person chose.
 * The one place this number lives; config (`scryptCost`), DeviceSecrets and the user store read it.
 */
export const DEFAULT_SCRYPT_COST = 16384;

/** A new platform-generated secret: 256 random bits, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

function scryptAsync(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a secret a person chose (slow on purpose); `cost` is scrypt's N (a power of two; default DEFAULT_SCRYPT_COST). */
export async function hashSecret(secret: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, cost, 8, 1);
  return `scrypt$${cost}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Verifies a secret against a scrypt hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** What the platform's generators produce (today's 43 characters, and the older 32): worth a keyed hash. */
const GENERATED_SHAPE = /^[A-Za-z0-9_-]{32,}$/;

export interface SecretCheck {
  readonly ok: boolean;
  /** A keyed hash to store in place of the legacy scrypt one (set once, on the first success). */
  readonly upgradedHash?: string;
}

/** Keyed hashes of generated secrets under one server key; scrypt for the rest. */
export class DeviceSecrets {
  /** A KeyObject, made once: an HMAC from raw key bytes imports them again each time (about 4× the CPU per CONNECT). */
  readonly #key: KeyObject;
  readonly #keyId: string;
  readonly #scryptCost: number;

  /** `key`: at least 32 bytes, the same on every node of a cluster. `scryptCost`: N for chosen secrets (default DEFAULT_SCRYPT_COST). */
  constructor(key: Buffer, options: { scryptCost?: number } = {}) {
    if (key.length < 32) throw new Error('device secret key: at least 32 bytes');
    this.#key = createSecretKey(Buffer.from(key));
    // Names the key in each hash, so a hash made under another key is told apart (not merely "wrong").
    this.#keyId = createHash('sha256').update('shanshui device-secret key id\0').update(key).digest('base64url').slice(0, 8);
    this.#scryptCost = options.scryptCost ?? DEFAULT_SCRYPT_COST;
  }

  /** A new generated secret and the hash to store for it. */
  generate(): { secret: string; hash: string } {
    const secret = generateSecret();
    return { secret, hash: this.keyedHash(secret) };
  }

  /** The keyed hash of a platform-generated secret. */
  keyedHash(secret: string): string {
    return `hmac-sha256$${this.#keyId}$${this.#mac(secret).toString('base64url')}`;
  }

  /** The slow hash of a secret a person chose. */
  hashChosen(secret: string): Promise<string> {
    return hashSecret(secret, this.#scryptCost);
  }

  /** Checks `secret` against a stored hash of either kind. */
  async verify(secret: string, stored: string): Promise<SecretCheck> {
    if (stored.startsWith('hmac-sha256$')) {
      const [, keyId, mac] = stored.split('$');
      if (keyId !== this.#keyId || mac === undefined) return { ok: false };
      const expected = Buffer.from(mac, 'base64url');
      const actual = this.#mac(secret);
      return { ok: expected.length === actual.length && timingSafeEqual(expected, actual) };
    }
    if (!(await verifySecret(secret, stored))) return { ok: false };
    return GENERATED_SHAPE.test(secret) ? { ok: true, upgradedHash: this.keyedHash(secret) } : { ok: true };
  }

  #mac(secret: string): Buffer {
    return createHmac('sha256', this.#key).update(secret, 'utf8').digest();
  }
}

/**
 * The server key: `configured` (SHANSHUI_SECRET_KEY: base64, base64url or hex of ≥ 32 bytes —
 * what every node of a cluster must share), else `{dataDir}/secret-key` (mode 0600), created
 * with 32 random bytes on first start. Never stored in the database: a copy of the database
 * verifies no secret.
 */
export async function loadSecretKey(dataDir: string, configured?: string): Promise<Buffer> {
  if (configured !== undefined) return decodeKey(configured, 'SHANSHUI_SECRET_KEY');
  const file = path.join(dataDir, 'secret-key');
  try {
    return decodeKey((await readFile(file, 'utf8')).trim(), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  // 'wx': two starts racing on one folder must not each write their own key.
  await writeFile(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await chmod(file, 0o600);
  return decodeKey((await readFile(file, 'utf8')).trim(), file);
}

/** Hex (64+ digits) or base64/base64url of at least 32 bytes. */
export function decodeKey(text: string, origin: string): Buffer {
  const key = /^[0-9a-fA-F]{64,}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  if (key.length < 32) throw new Error(`${origin}: a key of at least 32 bytes (64 hex digits or 43 base64 characters)`);
  return key;
}
