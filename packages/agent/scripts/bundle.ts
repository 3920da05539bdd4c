/**
 * Bundles the agent into one ES module for installation (`npx tsx packages/agent/scripts/bundle.ts
 * [OUTFILE]`, default packages/agent/dist/parapet-agent.mjs): no TypeScript loader at run time,
 * which saves the agent about 18 MB of RSS. Native and lazily loaded packages stay external
 * (better-sqlite3-multiple-ciphers, @napi-rs/keyring, x11, dbus-next, and the macOS / Windows
 * collector's @miniben90/x-win and koffi, which the Linux .deb leaves out) and are resolved from
 * node_modules next to the bundle. The local page's assets are copied next to it (OUTDIR/page).
 *
 * The file starts with a shebang that runs Node with {@link AGENT_NODE_FLAGS}; the systemd unit
 * runs it that way.
 */
import { chmodSync, cpSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * V8 flags for the long-running agent, chosen by bench/agent (RSS and CPU measured in the same
 * run): `--lite-mode` keeps V8 from allocating optimised code and feedback for a process that
 * does about 3 ms of work per second; `--max-semi-space-size=1` (MB) keeps the young generation
 * small; `--single-threaded` drops V8's worker threads and their heaps. `--lite-mode` turns
 * WebAssembly off, which the agent does not need: its requests never load undici (see
 * liteFetchForOpenapiFetch); `--no-expose-wasm` says so up front, so V8 does not warn
 * "disabling flag --expose_wasm" on stderr at every start.
 */
export const AGENT_NODE_FLAGS = ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1', '--single-threaded'];

const here = new URL('.', import.meta.url).pathname;

/**
 * Binds openapi-fetch's own references to `Headers`, `FormData` and `Response` to the small
 * classes of @parapet/api-client/fetch-lite, by prepending an import to its module in the
 * bundle (nothing else in the bundle, and no global, changes). openapi-fetch builds every
 * request's headers with `new Headers()` and asks `instanceof FormData` of each body; in Node
 * 20 either one loads undici, which compiles its HTTP parser to WebAssembly at load. The device
 * client gives it LiteRequest and answers with LiteResponse, so with this the agent never loads
 * undici and runs without WebAssembly (`--no-expose-wasm` in AGENT_NODE_FLAGS).
 */
export const liteFetchForOpenapiFetch: Plugin = {
  name: 'openapi-fetch-lite',
  setup(b) {
    const lite = new URL('../../api-client/src/fetch-lite.ts', import.meta.url).pathname;
    let bound = false;
    b.onLoad({ filter: /[\\/]openapi-fetch[\\/]dist[\\/]index\.mjs$/ }, (args) => {
      bound = true;
      return { contents: `import { Headers, FormData, Response } from ${JSON.stringify(lite)};\n${readFileSync(args.path, 'utf8')}`, loader: 'js', resolveDir: dirname(args.path) };
    });
    // If openapi-fetch ever resolves to another file, fail the build rather than ship undici.
    b.onEnd(() => {
      if (!bound) throw new Error('openapi-fetch/dist/index.mjs was not in the bundle, so its fetch classes were not bound to fetch-lite.');
    });
  },
};

/** The agent's version (packages/agent/package.json), compiled into the bundle. */
export const AGENT_VERSION = (JSON.parse(readFileSync(`${here}../package.json`, 'utf8')) as { version: string }).version;

/** Writes the bundle to `outfile` (absolute path) and makes it executable. @throws esbuild's BuildFailure */
export async function bundleAgent(outfile: string, flags: string[] = AGENT_NODE_FLAGS): Promise<void> {
  await build({
    entryPoints: [`${here}../src/main.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: ['better-sqlite3-multiple-ciphers', '@napi-rs/keyring', 'x11', 'dbus-next', '@miniben90/x-win', 'koffi'],
    banner: { js: `#!/usr/bin/env -S node ${flags.join(' ')}\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);` },
    define: { PARAPET_AGENT_VERSION: JSON.stringify(AGENT_VERSION) },
    plugins: [liteFetchForOpenapiFetch],
    logLevel: 'error',
  });
  chmodSync(outfile, 0o755);
  // The local page reads its assets next to the module (src/page when run from source).
  cpSync(`${here}../src/page`, join(dirname(outfile), 'page'), { recursive: true });
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  await bundleAgent(process.argv[2] ?? `${here}../dist/parapet-agent.mjs`);
}
