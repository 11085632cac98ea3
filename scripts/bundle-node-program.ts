/**
 * One esbuild setup for every Node program we ship or measure as shipped: ESM, code splitting
 * (modules loaded by `import()` — the OPC-UA source, modbus-serial — stay in chunks of their own,
 * loaded only when needed; node-opcua in files of its own, see KEEP_NAMES_PACKAGES), minified, with the `require`/`__dirname` that bundled CommonJS
 * packages and native-addon loaders expect. Used by `build-agent.ts` and by the bench (which
 * runs the agent and its peer as they ship: plain JavaScript, no type stripping).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';

const BANNER = [
  "import { createRequire as __shanshuiCreateRequire } from 'node:module';",
  "import { fileURLToPath as __shanshuiFileURLToPath } from 'node:url';",
  "import { dirname as __shanshuiDirname } from 'node:path';",
  'const require = __shanshuiCreateRequire(import.meta.url);',
  'const __filename = __shanshuiFileURLToPath(import.meta.url);',
  'const __dirname = __shanshuiDirname(__filename);',
].join(' ');

/**
 * Packages bundled apart with `keepNames` (node-opcua checks class names at run time:
 * `constructor.name === 'ClientSubscriptionImpl'`), into `NAME.js` beside the program. Only they
 * keep names: keeping every function's name in the whole program (an `Object.defineProperty` per
 * function at load) costs the idle agent about 4 MiB of RSS for nothing.
 */
const KEEP_NAMES_PACKAGES = ['node-opcua', 'node-opcua-debug'];
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Named exports of a CommonJS package, as ESM: what `import { DataType } from 'node-opcua'` needs. */
async function reexportSource(pkg: string): Promise<string> {
  const names = Object.keys((await import(pkg)) as Record<string, unknown>).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n) && isBindingName(n));
  return [`import * as m from '${pkg}';`, 'const d = m;', ...names.map((n) => `export const ${n} = d.${n};`), 'export default d;'].join('\n');
}

function isBindingName(n: string): boolean {
  try {
    new Function(`let ${n};`);
    return true;
  } catch {
    return false;
  }
}

/** Bundles `entryPoints` (output name → source file) into `outdir`, one `NAME.js` per entry plus chunks. */
export async function bundleNodeProgram(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  const common: BuildOptions = {
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    // Optional in @ster5/global-mutex (node-opcua's PKI), loaded only where it is installed.
    external: ['proper-lockfile'],
    logLevel: 'warning',
  };
  // 1. The packages that need their names, as ESM files of their own (one build: they share one node-opcua-debug).
  await build({
    ...common,
    entryPoints: Object.fromEntries(KEEP_NAMES_PACKAGES.map((p) => [p, `keep-names:${p}`])),
    keepNames: true,
    plugins: [
      {
        name: 'keep-names-entries',
        setup(b) {
          b.onResolve({ filter: /^keep-names:/ }, (a) => ({ path: a.path.slice('keep-names:'.length), namespace: 'keep-names' }));
          b.onLoad({ filter: /.*/, namespace: 'keep-names' }, async (a) => ({ contents: await reexportSource(a.path), resolveDir: path.join(HERE, '..', 'edge-agent', 'src'), loader: 'js' }));
        },
      },
    ],
  });
  // 2. The program, importing those files (loaded only when a module that needs them is: `import()` of an OPC-UA source).
  await build({
    ...common,
    entryPoints,
    plugins: [
      {
        name: 'keep-names-external',
        setup(b) {
          const filter = new RegExp(`^(${KEEP_NAMES_PACKAGES.join('|')})$`);
          b.onResolve({ filter }, (a) => ({ path: `./${a.path}.js`, external: true }));
        },
      },
    ],
  });
  // The files are ESM; and node-opcua looks for "its" package.json above its own folder at load.
  await writeFile(path.join(outdir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
}
