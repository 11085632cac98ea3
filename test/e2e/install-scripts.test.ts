/** A first `npm ci` is quiet: the install scripts the project relies on are approved in package.json. */
import { test, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

test('npm install-scripts ls: every install script the project relies on (node, cbor-extract) is approved in allowScripts', async () => {
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('npm', ['install-scripts', 'ls'], { cwd: ROOT }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
  // npm before 11.x has no install-scripts command: then only the package.json field is checked.
  if (!/Unknown command/i.test(out.stderr + out.stdout)) {
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/No packages with unreviewed install scripts/);
  }
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  expect(pkg.allowScripts).toMatchObject({ node: true, 'cbor-extract': true });
  // A new dependency with an install script: approve it (`npm install-scripts approve <pkg>`) or deny it, and say why in the README.
});
