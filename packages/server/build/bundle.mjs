/**
 * `npm start` without a TypeScript loader: the server's sources and the workspace packages
 * it imports (@parapet/*) bundled by esbuild into one ES module, dist/parapet-server.mjs;
 * everything in node_modules stays an ordinary import. Loading one prepared file instead of
 * transpiling some hundred TypeScript modules through tsx is most of a later start's time
 * (bench/startup).
 *
 * Code splitting: a module the sources load with `import('./x.js')` (the S3 vault driver, ...)
 * becomes a chunk of its own under dist/chunks/, loaded when the import runs. Without it
 * esbuild would inline the module and hoist its package imports (the AWS SDK, ...) to the top
 * of the bundle, so every start would load them. Chunk names carry a content hash: a rebuild
 * adds its chunks beside the old ones and then replaces the entry file in one rename, so a
 * server still running the previous build can load its own chunks later; chunks no build
 * references are removed after CHUNK_KEEP_DAYS.
 *
 * Files the code finds next to itself (migrations, Cedar policies, the console, the audit
 * sequencer's worker) are located through `import.meta.url`; each source file's
 * `import.meta.url` is replaced by that file's own URL, so the bundle resolves them exactly
 * as the sources do. The bundle is a build product of this checkout, not something to copy
 * elsewhere.
 *
 * freshBundle() rebuilds when any input is newer than the bundle (a source edit, a pull),
 * so `npm start` never runs stale code; it returns undefined when esbuild is not installed,
 * and the caller then runs the sources through tsx.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = join(PACKAGES, '..');
export const BUNDLE = fileURLToPath(new URL('../dist/parapet-server.mjs', import.meta.url));
const DIST = dirname(BUNDLE);
const CHUNKS = join(DIST, 'chunks');
/** Unreferenced chunks older than this are deleted after a build (days). */
const CHUNK_KEEP_DAYS = 7;
const ENTRY = fileURLToPath(new URL('../src/cli-entry.ts', import.meta.url));
// The workspace packages the server imports; their sources are the bundle's inputs.
const INPUT_DIRS = ['server/src', 'db/src', 'core/src', 'device-client/src'].map((d) => join(PACKAGES, d));
const INPUT_FILES = ['server/package.json', 'db/package.json', 'core/package.json', 'device-client/package.json', 'server/build/bundle.mjs'].map((f) => join(PACKAGES, f)).concat(join(ROOT, 'package-lock.json'));

// Plain concatenation, not path.join: on every `npm start` this runs for each source file,
// and join's normalisation was most of its time.
function newest(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = dir + '/' + e.name;
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

/** True when the bundle is missing or older than one of its inputs. */
export function bundleStale() {
  if (!existsSync(BUNDLE)) return true;
  const built = statSync(BUNDLE).mtimeMs;
  const inputs = Math.max(...INPUT_DIRS.filter(existsSync).map(newest), ...INPUT_FILES.filter(existsSync).map((f) => statSync(f).mtimeMs));
  return inputs > built;
}

/**
 * Builds dist/parapet-server.mjs and its chunks (into a temporary directory; the chunks are
 * moved into dist/chunks/, then the entry is renamed into place). Throws esbuild's error.
 */
export async function buildBundle() {
  const esbuild = await import('esbuild');
  const tmp = join(DIST, `.build-${process.pid}-${Date.now()}`);
  try {
    await esbuild.build({
      entryPoints: { 'parapet-server': ENTRY },
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      plugins: [
        {
          name: 'parapet-externals',
          setup(b) {
            // Bare specifiers other than the workspace's own packages are node_modules or builtins.
            b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@parapet/') ? undefined : { path: a.path, external: true }));
            b.onLoad({ filter: /\.ts$/ }, async (a) => {
              const src = await readFile(a.path, 'utf8');
              return { contents: src.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href)), loader: 'ts', resolveDir: dirname(a.path) };
            });
          },
        },
      ],
    });
    await mkdir(CHUNKS, { recursive: true });
    const made = new Set();
    for (const name of existsSync(join(tmp, 'chunks')) ? await readdir(join(tmp, 'chunks')) : []) {
      made.add(name);
      await rename(join(tmp, 'chunks', name), join(CHUNKS, name));
    }
    await rename(join(tmp, 'parapet-server.mjs'), BUNDLE);
    await pruneChunks(made);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Deletes chunks this build did not make that are older than CHUNK_KEEP_DAYS. */
async function pruneChunks(keep) {
  const cutoff = Date.now() - CHUNK_KEEP_DAYS * 86_400_000;
  for (const name of await readdir(CHUNKS)) {
    if (keep.has(name)) continue;
    const st = await stat(join(CHUNKS, name)).catch(() => undefined);
    if (st && st.mtimeMs < cutoff) await rm(join(CHUNKS, name), { force: true });
  }
}

/** The bundle's path, rebuilt first when stale; undefined when esbuild is unavailable. */
export async function freshBundle() {
  if (!bundleStale()) return BUNDLE;
  try {
    await import('esbuild');
  } catch {
    return undefined;
  }
  await buildBundle();
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  await buildBundle();
  console.log(`Built ${BUNDLE} in ${Math.round(performance.now() - t0)} ms.`);
}
