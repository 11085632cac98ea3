/**
 * Device secrets: generated ones (256 bits) are stored as HMAC-SHA-256 under a server key kept
 * outside the database; person-chosen ones as scrypt; a station stored before keyed hashes
 * (scrypt of a generated secret) keeps its secret and is re-stored keyed on its first CONNECT.
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT_COST, DeviceSecrets, hashSecret, loadSecretKey } from './device-secret.ts';
import { parseConfig } from '../config.ts';
import { USER_STORE_DEFAULTS } from '../auth/user-store.ts';
import { pino } from 'pino';
import { openPlatformStore } from './open-platform-store.ts';
import { StationRegistry } from './station-registry.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'device-secret-'));
  dirs.push(dir);
  return dir;
}

test('a generated secret has 256 bits and is stored as a keyed hash that only the same key verifies', async () => {
  const secrets = new DeviceSecrets(randomBytes(32));
  const { secret, hash } = secrets.generate();
  expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  expect(hash).toMatch(/^hmac-sha256\$[\w-]{8}\$[\w-]{43}$/);
  expect(hash).not.toContain(secret);
  expect(await secrets.verify(secret, hash)).toEqual({ ok: true });
  expect((await secrets.verify(`${secret.slice(0, -1)}A`, hash)).ok).toBe(secret.endsWith('A'));
  // Another server key (a copied database on another platform) verifies nothing.
  expect((await new DeviceSecrets(randomBytes(32)).verify(secret, hash)).ok).toBe(false);
});

test('a secret a person chose is stored with scrypt and stays so', async () => {
  const secrets = new DeviceSecrets(randomBytes(32), { scryptCost: 1024 });
  const hash = await secrets.hashChosen('my station 42');
  expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
  expect(await secrets.verify('my station 42', hash)).toEqual({ ok: true });
  expect((await secrets.verify('my station 43', hash)).ok).toBe(false);
});

test('one scrypt cost by default everywhere: hashSecret, DeviceSecrets, the user store and the config', async () => {
  const prefix = `scrypt$${DEFAULT_SCRYPT_COST}$8$1$`;
  expect((await hashSecret('chosen by a person')).startsWith(prefix)).toBe(true);
  expect((await new DeviceSecrets(randomBytes(32)).hashChosen('chosen by a person')).startsWith(prefix)).toBe(true);
  expect(USER_STORE_DEFAULTS.scryptCost).toBe(DEFAULT_SCRYPT_COST);
  expect(parseConfig({}).scryptCost).toBe(DEFAULT_SCRYPT_COST);
});

test('the server key lives in the data folder with mode 0600 and is read back the same; SHANSHUI_SECRET_KEY wins', async () => {
  const dir = await tmp();
  const key = await loadSecretKey(dir);
  expect(key).toHaveLength(32);
  expect((await stat(path.join(dir, 'secret-key'))).mode & 0o777).toBe(0o600);
  expect(await loadSecretKey(dir)).toEqual(key);
  const hex = randomBytes(32).toString('hex');
  expect((await loadSecretKey(dir, hex)).toString('hex')).toBe(hex);
  await expect(loadSecretKey(dir, 'c2hvcnQ')).rejects.toThrow(/at least 32 bytes/);
  expect((await readFile(path.join(dir, 'secret-key'), 'utf8')).trim()).toBe(key.toString('base64url'));
});

test('a station stored before keyed hashes connects with its old secret and is re-stored keyed, without a reset', async () => {
  const dir = await tmp();
  const platform = await openPlatformStore({ sqliteFile: path.join(dir, 'state.db'), logger: pino({ level: 'silent' }) });
  const store = platform.stations;
  try {
    const secrets = new DeviceSecrets(randomBytes(32), { scryptCost: 1024 });
    const registry = await StationRegistry.open(store, secrets);
    const { station } = await registry.register({ id: 'old-1', name: '老站', domain: 'water', lat: 23, lon: 113, region: '440106', department: 'water' });
    // As the previous version stored it: scrypt of a 24-byte generated secret.
    const oldSecret = randomBytes(24).toString('base64url');
    await store.setSecretHash(station.id, await hashSecret(oldSecret, 1024));
    expect(await registry.authenticate('old-1', 'wrong')).toBe(false);
    expect(await store.secretHash('old-1')).toMatch(/^scrypt\$/);
    expect(await registry.authenticate('old-1', oldSecret)).toBe(true);
    const stored = (await store.secretHash('old-1'))!;
    expect(stored).toMatch(/^hmac-sha256\$/);
    expect(stored).toBe(secrets.keyedHash(oldSecret));
    // The next CONNECT (any node: the hash is in the store) verifies the keyed hash.
    const again = await StationRegistry.open(store, secrets);
    expect(await again.authenticate('old-1', oldSecret)).toBe(true);
    expect(await again.authenticate('old-1', `${oldSecret}x`)).toBe(false);
  } finally {
    await platform.close();
  }
});
