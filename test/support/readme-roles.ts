/**
 * The roles and the least role holding each permission, read from the README's "Roles" table:
 * the documented contract the access matrix checks the platform against (kept apart from
 * ingest/src/auth/permissions.ts on purpose, so the test does not check the code against itself).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ReadmeRole = 'viewer' | 'technician' | 'operator' | 'admin';

export interface ReadmeRoles {
  /** Least to most. */
  readonly roles: ReadmeRole[];
  /** Each permission with the least role holding it. */
  readonly leastRole: Record<string, ReadmeRole>;
}

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

export function readmeRoles(): ReadmeRoles {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('### Roles'));
  const roles: ReadmeRole[] = [];
  const leastRole: Record<string, ReadmeRole> = {};
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').map((c) => c.trim());
    const role = cells[1];
    if (role !== 'viewer' && role !== 'technician' && role !== 'operator' && role !== 'admin') continue;
    roles.push(role);
    for (const [, permission] of (cells[3] ?? '').matchAll(/`([a-z-]+:[a-z-]+)`/g)) leastRole[permission!] = role;
  }
  if (roles.join() !== 'viewer,technician,operator,admin') throw new Error(`README "Roles" table lists roles ${roles.join(', ')}`);
  return { roles, leastRole };
}
