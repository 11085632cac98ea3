/**
 * One esbuild setup for every Node program we ship or measure as shipped: ESM, code splitting
 * (modules loaded by `import()` — node-opcua, modbus-serial — stay in chunks of their own,
 * loaded only when needed), minified, with the `require`/`__dirname` that bundled CommonJS
 * packages and native-addon loaders expect. Used by `build-agent.ts` and by the bench (which
 * runs the agent and its peer as they ship: plain JavaScript, no type stripping).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const BANNER = [
  "import { createRequire as __shanshuiCreateRequire } from 'node:module';",
  "import { fileURLToPath as __shanshuiFileURLToPath } from 'node:url';",
  "import { dirname as __shanshuiDirname } from 'node:path';",
  'const require = __shanshuiCreateRequire(import.meta.url);',
  'const __filename = __shanshuiFileURLToPath(import.meta.url);',
  'const __dirname = __shanshuiDirname(__filename);',
].join(' ');

/** Bundles `entryPoints` (output name → source file) into `outdir`, one `NAME.js` per entry plus chunks. */
export async function bundleNodeProgram(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    minify: true,
    // node-opcua checks class names at run time (`constructor.name === 'ClientSubscriptionImpl'`).
    keepNames: true,
    legalComments: 'none',
    banner: { js: BANNER },
    // Optional in @ster5/global-mutex (node-opcua's PKI), loaded only where it is installed.
    external: ['proper-lockfile'],
    logLevel: 'warning',
  });
  // The files are ESM; and node-opcua looks for "its" package.json above its own folder at load.
  await writeFile(path.join(outdir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
}
