/**
 * `npm run build:worker`: the single-file worker. esbuild bundles packages/worker/src/main.ts
 * (with the signed safety profile inlined) into dist/parapet-worker.mjs, then checks the
 * build's metafile: every bundled module and every Node built-in it imports must be on the
 * allow-list below, otherwise the build fails naming the intruder (for example a module that
 * could send arbitrary payloads, or node:child_process). @napi-rs/keyring (native) stays
 * external: without it the worker keeps its key in the encrypted file store.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Bundled inputs (paths relative to the repository root, node_modules resolved to their package). */
export const ALLOWED_INPUTS: RegExp[] = [
  /^packages\/worker\/src\/(main|worker-cli|run|job-checks|limiter|embedded-profile|release-key)\.ts$/,
  /^packages\/worker\/src\/probes\/(types|tcp-connect|banner|tls|http-headers)\.ts$/,
  /^packages\/worker\/profile\/safety-profile\.dsse\.json$/,
  /^packages\/core\/src\/crypto\/(canonical-json|dsse)\.ts$/,
  /^packages\/core\/src\/probe\/(cidr|scope|profile|results)\.ts$/,
  /^packages\/core\/src\/httpsig\/(index|signature|digest)\.ts$/,
  /^packages\/device-client\/src\/(client|transport|keystore|device-cli|enroll-command)\.ts$/,
  // The generated typed client: its types vanish in the bundle; openapi-fetch builds and sends the
  // requests; fetch-lite's LiteRequest and LiteResponse carry them over the device transport.
  /^packages\/api-client\/src\/(index|fetch-lite)\.ts$/,
  // Libraries: JSON canonicalisation, schema validation, address parsing, structured fields.
  /^node_modules\/(canonicalize|ajv|fast-deep-equal|json-schema-traverse|fast-uri|ipaddr\.js|structured-headers|require-from-string|openapi-fetch)\//,
];

/** Node built-ins the worker may import. Absent on purpose: child_process, dgram, worker_threads, vm, cluster. */
export const ALLOWED_BUILTINS = new Set(['node:net', 'node:tls', 'node:crypto', 'node:dns/promises', 'node:http', 'node:https', 'node:fs/promises', 'node:fs', 'node:path', 'node:os', 'node:util', 'node:url', 'node:timers/promises', 'node:events', 'node:buffer', 'node:stream', 'node:process']);
/** Kept external, loaded only if present at run time. */
export const OPTIONAL_EXTERNAL = new Set(['@napi-rs/keyring']);

/** Returns what is not allowed in a build (empty when the build is clean). */
export function disallowed(meta: Metafile): string[] {
  const bad: string[] = [];
  for (const input of Object.keys(meta.inputs)) {
    const rel = input.startsWith('/') ? relative(ROOT, input) : input;
    const norm = rel.replace(/^(\.\.\/)+/, '').replace(/.*node_modules\//, 'node_modules/');
    if (!ALLOWED_INPUTS.some((r) => r.test(norm))) bad.push(norm);
  }
  for (const out of Object.values(meta.outputs)) {
    for (const imp of out.imports) {
      if (!imp.external) continue;
      const name = imp.path.startsWith('node:') ? imp.path : imp.path;
      const builtin = name.startsWith('node:') ? name : `node:${name}`;
      if (!ALLOWED_BUILTINS.has(builtin) && !OPTIONAL_EXTERNAL.has(name)) bad.push(name);
    }
  }
  return [...new Set(bad)].sort();
}

export interface BuildOptions {
  outfile?: string;
  entry?: string;
  /** Test builds only: another profile envelope file (or 'missing') or release key. */
  profileFile?: string;
  releaseKeyPem?: string;
}

export async function buildWorker(o: BuildOptions = {}): Promise<{ outfile: string; metafile: Metafile; bad: string[] }> {
  const outfile = o.outfile ?? join(ROOT, 'packages/worker/dist/parapet-worker.mjs');
  const plugins: Plugin[] = [];
  if (o.profileFile || o.releaseKeyPem) {
    plugins.push({
      name: 'test-substitutions',
      setup(b) {
        if (o.profileFile) b.onLoad({ filter: /safety-profile\.dsse\.json$/ }, async () => ({ contents: o.profileFile === 'missing' ? 'null' : await readFile(o.profileFile!, 'utf8'), loader: 'json' }));
        if (o.releaseKeyPem) b.onLoad({ filter: /release-key\.ts$/ }, () => ({ contents: `export const RELEASE_PUBLIC_KEY_PEM = ${JSON.stringify(o.releaseKeyPem)};`, loader: 'ts' }));
      },
    });
  }
  await mkdir(dirname(outfile), { recursive: true });
  const r = await build({
    entryPoints: [o.entry ?? join(ROOT, 'packages/worker/src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    external: [...OPTIONAL_EXTERNAL],
    logLevel: 'silent',
    absWorkingDir: ROOT,
    // ESM output still needs require() for the few CommonJS dependencies (ajv).
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    plugins,
  });
  return { outfile, metafile: r.metafile!, bad: disallowed(r.metafile!) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, metafile, bad } = await buildWorker();
  await writeFile(join(dirname(outfile), 'meta.json'), JSON.stringify(metafile));
  if (bad.length) {
    process.stderr.write(`build:worker: the bundle contains modules that are not allow-listed: ${bad.join(', ')}.\n`);
    process.exit(1);
  }
  const size = Object.values(metafile.outputs)[0]!.bytes;
  process.stdout.write(`Built ${relative(ROOT, outfile)} (${(size / 1024).toFixed(0)} KiB, ${Object.keys(metafile.inputs).length} modules, all allow-listed).\n`);
}
