/**
 * The node options `npm start` runs the platform with (package.json `scripts.start`, e.g.
 * `--v8-pool-size=0`): the bench starts the platform the same way, and the Dockerfile and the
 * demo are checked against it (test/e2e/docker-compose.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(import.meta.dirname, '..', '..');

/** The options between `node` and the script of a `node … <script>` command line. */
export function nodeArgsOf(commandLine: string, script: string): string[] {
  const words = commandLine.trim().split(/\s+/);
  if (words[0] !== 'node' || words[words.length - 1] !== script) throw new Error(`not "node … ${script}": ${commandLine}`);
  return words.slice(1, -1);
}

export function startNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return nodeArgsOf(pkg.scripts['start'] ?? '', 'ingest/src/main.ts');
}
