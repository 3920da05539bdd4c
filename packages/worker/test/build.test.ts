/**
 * The single-file worker (npm run build:worker) and its safety profile. Each test builds a real
 * esbuild bundle and runs it: the clean build passes the metafile allow-list and starts; a
 * build with a module off the list fails the check; bundles whose embedded profile is missing,
 * unsigned, tampered, signed by another key, expired or not yet valid refuse to start with one
 * sentence; flags, environment variables and config files cannot widen the profile.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJsonBytes, dsse, PROFILE_PAYLOAD_TYPE } from '@parapet/core';
import { runBin, type BinResult } from '@parapet/device-client/testing';
import { buildWorker } from '../build/build.js';

const realProfile = fileURLToPath(new URL('../profile/safety-profile.dsse.json', import.meta.url));
const profileDoc = JSON.parse(await readFile(fileURLToPath(new URL('../profile/safety-profile.json', import.meta.url)), 'utf8'));
let dir: string;
let clean: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-build-'));
  const b = await buildWorker({ outfile: join(dir, 'clean.mjs') });
  assert.deepEqual(b.bad, []);
  clean = b.outfile;
});
after(() => rm(dir, { recursive: true, force: true }));

function refused(r: BinResult, re: RegExp) {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^parapet-worker: [A-Z].*\.$/);
  assert.match(lines[0]!, re);
}

test('the clean bundle is allow-listed, verifies its embedded profile and shows it', async () => {
  const r = await runBin(clean, ['profile', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), profileDoc);
});

test('the metafile check fails a build that pulls in a module off the allow-list', async () => {
  const entry = join(dir, 'evil.ts');
  await writeFile(entry, "import { spawn } from 'node:child_process';\nimport { tcpConnect } from '" + fileURLToPath(new URL('../src/probes/tcp-connect.ts', import.meta.url)) + "';\nspawn('true');\nconsole.log(tcpConnect);\n");
  const b = await buildWorker({ entry, outfile: join(dir, 'evil.mjs') });
  assert.ok(b.bad.includes('node:child_process'), b.bad.join(', '));
  assert.ok(b.bad.some((x) => x.endsWith('evil.ts')), b.bad.join(', '));
});

const testKey = dsse.generateEd25519();
const sign = (doc: unknown, priv = testKey.privateKeyPem) => dsse.signEnvelope(PROFILE_PAYLOAD_TYPE, canonicalJsonBytes(doc), priv);
async function variant(name: string, envelope: unknown, releaseKeyPem?: string): Promise<string> {
  const f = join(dir, `${name}.dsse.json`);
  await writeFile(f, JSON.stringify(envelope));
  return (await buildWorker({ outfile: join(dir, `${name}.mjs`), profileFile: envelope === null ? 'missing' : f, ...(releaseKeyPem ? { releaseKeyPem } : {}) })).outfile;
}

test('a bundle refuses to start when its profile is missing, unsigned, tampered, signed by another key, expired or not yet valid', async () => {
  const real = JSON.parse(await readFile(realProfile, 'utf8'));
  const wide = { ...profileDoc, max_packets_per_second: 10000, max_addresses: 65536 };
  const tampered = { ...real, payload: Buffer.from(JSON.stringify(wide)).toString('base64') };
  const cases: Array<[string, unknown, RegExp, string?]> = [
    ['missing', null, /no embedded safety profile/],
    ['unsigned', { ...real, signatures: [] }, /not signed/],
    ['tampered', tampered, /not signed by this release key/],
    ['other-key', sign(wide), /not signed by this release key/],
    ['expired', sign({ ...profileDoc, valid_from: '2020-01-01T00:00:00Z', valid_until: '2021-01-01T00:00:00Z' }), /expired at 2021-01-01/, testKey.publicKeyPem],
    ['future', sign({ ...profileDoc, valid_from: '2099-01-01T00:00:00Z', valid_until: '2100-01-01T00:00:00Z' }), /valid only from 2099/, testKey.publicKeyPem],
  ];
  for (const [name, env, re, key] of cases) {
    const b = await variant(name, env, key);
    for (const cmd of [['run', '--once'], ['profile'], ['status']]) refused(await runBin(b, cmd), re);
  }
  // The same release key and a valid profile: it starts (the refusals above are about the profile, not the build).
  const ok = await variant('valid-test-key', sign(profileDoc), testKey.publicKeyPem);
  assert.equal((await runBin(ok, ['profile', '--json'])).code, 0);
});

test('no flag, environment variable or config file widens the profile', async () => {
  const base = (await runBin(clean, ['profile', '--json'])).stdout;
  for (const flags of [['--profile', realProfile], ['--max-pps', '100000'], ['--rate', '100000'], ['--concurrency', '9999'], ['--probe-types', 'all']]) {
    const r = await runBin(clean, ['run', '--once', ...flags]);
    assert.equal(r.code, 2, flags.join(' '));
    assert.match(r.stderr, /^parapet-worker: Unknown option '--[a-z-]+'; the safety profile cannot be changed from the command line\.\n$/);
  }
  const wide = sign({ ...profileDoc, max_packets_per_second: 10000 });
  const wideFile = join(dir, 'wide.dsse.json');
  await writeFile(wideFile, JSON.stringify(wide));
  const env = { PARAPET_PROFILE: wideFile, PARAPET_SAFETY_PROFILE: wideFile, PARAPET_WORKER_PROFILE: wideFile, PARAPET_MAX_PPS: '100000', PARAPET_RELEASE_PUBLIC_KEY: testKey.publicKeyPem };
  assert.equal((await runBin(clean, ['profile', '--json'], env)).stdout, base);
  // A profile dropped next to the worker's state, or a "config" in its state file, is not read either.
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'safety-profile.dsse.json'), JSON.stringify(wide));
  await writeFile(join(stateDir, 'config.json'), JSON.stringify({ max_packets_per_second: 100000 }));
  assert.equal((await runBin(clean, ['profile', '--json'], { PARAPET_DEVICE_DIR: stateDir })).stdout, base);
});
