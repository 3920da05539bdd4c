// The witness is installed by customers on their own machines, so it must not bring the
// server along. Bundling its real entry point with esbuild lists every file and package the
// code can reach; the test fails if any of it is the server, the database layer, or a package
// the witness's package.json (and @parapet/core's) do not declare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const pkg = (p: string) => JSON.parse(readFileSync(`${root}/packages/${p}/package.json`, 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

test('the witness bundle reaches only Node built-ins and two @parapet/core modules, never the server or db', async () => {
  const r = await build({
    entryPoints: [`${root}/packages/witness/src/entry.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const inputs = Object.keys(r.metafile.inputs).sort();
  assert.ok(inputs.some((i) => i.endsWith('packages/witness/src/witness.ts')), inputs.join('\n'));
  const outside = inputs.filter((i) => !i.includes('packages/witness/src/'));
  assert.deepEqual(outside, ['packages/core/src/merkle/note.ts', 'packages/core/src/merkle/tree.ts']);
  for (const i of inputs) assert.doesNotMatch(i, /packages\/(server|db|cli)\/|node_modules/, i);
});

test('package.json: the witness declares @parapet/core and tsx only, and no workspace it needs depends on the server', () => {
  const w = pkg('witness');
  assert.deepEqual(Object.keys(w.dependencies ?? {}).sort(), ['@parapet/core', 'tsx']);
  assert.equal(w.devDependencies, undefined);
  const core = pkg('core');
  for (const d of Object.keys(core.dependencies ?? {})) assert.doesNotMatch(d, /^@parapet\//, `core depends on ${d}`);
});
