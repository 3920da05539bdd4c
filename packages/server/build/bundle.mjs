/**
 * `npm start` without a TypeScript loader: the server's sources and the workspace packages
 * it imports (@parapet/*) bundled by esbuild into one ES module, dist/parapet-server.mjs;
 * everything in node_modules stays an ordinary import. Loading one prepared file instead of
 * transpiling some hundred TypeScript modules through tsx is most of a later start's time
 * (bench/startup).
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
import { rename, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = join(PACKAGES, '..');
export const BUNDLE = fileURLToPath(new URL('../dist/parapet-server.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('../src/cli-entry.ts', import.meta.url));
// The workspace packages the server imports; their sources are the bundle's inputs.
const INPUT_DIRS = ['server/src', 'db/src', 'core/src', 'device-client/src'].map((d) => join(PACKAGES, d));
const INPUT_FILES = ['server/package.json', 'db/package.json', 'core/package.json', 'device-client/package.json', 'server/build/bundle.mjs'].map((f) => join(PACKAGES, f)).concat(join(ROOT, 'package-lock.json'));

function newest(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
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

/** Builds dist/parapet-server.mjs (written to a temporary name, then renamed). Throws esbuild's error. */
export async function buildBundle() {
  const esbuild = await import('esbuild');
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [ENTRY],
      outfile: tmp,
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
    await rename(tmp, BUNDLE);
  } finally {
    await rm(tmp, { force: true });
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
