/**
 * The Debian packages the tests need (.ci/apt-packages, the one list): when some are missing,
 * install them with apt when running as root, or name the exact command and exit 2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const listFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.ci', 'apt-packages');

export function requiredPackages(): string[] {
  return readFileSync(listFile, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0);
}

function installed(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
  } catch {
    return false;
  }
}

export function ensureSystemPackages(): void {
  const missing = requiredPackages().filter((p) => !installed(p));
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    process.stderr.write(`The tests start real ${missing.join(', ')} servers, which are not installed. Run:\n  sudo sh -c '${command}'\n`);
    process.exit(2);
  }
  process.stderr.write(`Installing the Debian packages the tests need: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) {
      process.stderr.write(`apt-get ${args.join(' ')} failed (exit ${r.status}); run it by hand: ${command}\n`);
      process.exit(2);
    }
  }
}
