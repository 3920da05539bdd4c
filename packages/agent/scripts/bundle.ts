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
import { build } from 'esbuild';

/**
 * V8 flags for the long-running agent, chosen by bench/agent (RSS and CPU measured in the same
 * run): `--max-semi-space-size=1` (MB) keeps the young generation small; `--single-threaded`
 * drops V8's worker threads and their heaps. `--lite-mode` (and with it `--jitless`) would save
 * more, but it turns WebAssembly off, and Node's fetch, Request and Response (undici, under the
 * generated API client) compile their HTTP parser to WebAssembly on first use.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'];

const here = new URL('.', import.meta.url).pathname;

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
    logLevel: 'error',
  });
  chmodSync(outfile, 0o755);
  // The local page reads its assets next to the module (src/page when run from source).
  cpSync(`${here}../src/page`, join(dirname(outfile), 'page'), { recursive: true });
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  await bundleAgent(process.argv[2] ?? `${here}../dist/parapet-agent.mjs`);
}
