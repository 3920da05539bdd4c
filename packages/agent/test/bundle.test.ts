// The installed form: the esbuild bundle runs as an executable (its shebang passes the V8 flags
// through `env -S`), loads its external native packages (SQLCipher) from node_modules, and gives
// the same bytes as the source form for `rules test` and `show`. Its requests to the server
// (enroll, heartbeat, policy, signed batch upload) run without WebAssembly and never load
// undici: a preloaded probe reports Node's loaded internal modules at exit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '@parapet/server/testing';
import { agentEnrolment } from './enrolment.js';
import { AGENT_NODE_FLAGS, bundleAgent } from '../scripts/bundle.js';
import { Store } from '../src/store.js';
import type { Interval } from '../src/heartbeat.js';

const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'pulse-bundle-'));
const out = join(work, 'dist', 'parapet-agent.mjs');
before(async () => {
  await bundleAgent(out);
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'x', version: '0.0.0', type: 'module' }));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the bundle runs with its flags and answers exactly like the source form', async () => {
  assert.equal(readFileSync(out, 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
  const titles = readFileSync(join(root, 'packages/agent/test/fixtures/titles.tsv'), 'utf8');
  const rules = join(root, 'packages/agent/test/fixtures/rules.json');
  const src = join(root, 'packages/agent/bin/parapet-agent.js');
  const a = spawnSync(out, ['rules', 'test', '--rules', rules], { input: titles });
  const b = spawnSync(process.execPath, [src, 'rules', 'test', '--rules', rules], { input: titles });
  assert.equal(a.status, 0, a.stderr.toString());
  assert.equal(a.stdout.toString(), b.stdout.toString());
  assert.equal(a.stdout.toString().trim().split('\n').length, titles.trim().split('\n').length);
  // SQLCipher from node_modules: pause through the bundle, read back through the source form.
  const env = { ...process.env, PARAPET_AGENT_KEY_STORE: 'file' };
  const sd = join(work, 'state');
  execFileSync(out, ['exclude', 'keepassxc', '--state-dir', sd], { env });
  const shown = JSON.parse(execFileSync(process.execPath, [src, 'show', '--json', '--state-dir', sd], { env }).toString()) as { controls: string[] };
  assert.ok(shown.controls.some((l) => l.includes('keepassxc')), JSON.stringify(shown.controls));
  // The flags reach V8: they are visible to the process as exec arguments.
  const probe = join(work, 'dist', 'probe.mjs');
  writeFileSync(probe, `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}\nconsole.log(JSON.stringify(process.execArgv));\n`, { mode: 0o755 });
  assert.deepEqual(JSON.parse(execFileSync(probe).toString()), AGENT_NODE_FLAGS);
});

// Written at exit by every process it is preloaded into: the internal modules Node loaded that
// belong to undici, and whether WebAssembly exists in that process.
const probe = join(work, 'probe.mjs');
writeFileSync(
  probe,
  `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.PROBE_OUT, JSON.stringify({ undici: process.moduleLoadList.filter((m) => m.includes('undici')), wasm: typeof WebAssembly })));\n`,
);

/** Runs `node AGENT_NODE_FLAGS --import probe FILE args` (asynchronously: the server lives in this process). */
function probed(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; seen: { undici: string[]; wasm: string } }> {
  const probeOut = join(work, `probe-${randomUUID()}.json`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...AGENT_NODE_FLAGS, '--import', probe, file, ...args], { cwd: work, env: { ...process.env, ...env, PROBE_OUT: probeOut }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, seen: JSON.parse(readFileSync(probeOut, 'utf8')) as { undici: string[]; wasm: string } }));
  });
}

test('the bundle enrolls, heartbeats and uploads signed batches under its flags without WebAssembly, never loading undici', async () => {
  assert.ok(AGENT_NODE_FLAGS.includes('--no-expose-wasm'), 'the packaged agent runs without WebAssembly');
  // The probe sees undici when something does touch Node's fetch classes under the same flags.
  const touch = join(work, 'touch.mjs');
  writeFileSync(touch, `new Headers({ a: '1' });\n`);
  const control = await probed(touch, [], {});
  assert.ok(control.seen.undici.length > 0, 'the probe detects undici');
  assert.equal(control.seen.wasm, 'undefined');

  const s = await startTestServer();
  try {
    const { token, caFile, tenantId } = await agentEnrolment(s, work);
    const sd = join(work, 'enrolled');
    const env = { PARAPET_AGENT_KEY_STORE: 'file' };
    const runs = [await probed(out, ['enroll', '--server', s.url, '--token', token, '--ca', caFile, '--state-dir', sd, '--key-store', 'file'], env)];
    runs.push(await probed(out, ['heartbeat', '--state-dir', sd], env));
    // Intervals as the recorder stores them (the source form opens the same SQLCipher store).
    const store = await Store.open({ dir: sd, keyStore: 'file' });
    const from = Date.now() - 3_600_000;
    const ivs = Array.from({ length: 600 }, (_, k) => ({ id: randomUUID(), start: from + k * 5000, end: from + k * 5000 + 5000, state: k % 5 === 4 ? 'idle' : 'active', app: k % 2 ? 'code' : 'slack', category: k % 2 ? 'development' : 'communication', domain: k % 3 ? null : 'example.org', localCategory: null }) as Interval);
    store.saveIntervals(ivs, null);
    store.close();
    runs.push(await probed(out, ['upload', '--state-dir', sd], env));
    assert.match(runs[2]!.out, /^Sent 2 batches\.$/m);
    assert.doesNotMatch(runs[2]!.out, /could not/);
    for (const r of runs) {
      assert.equal(r.code, 0, r.out);
      assert.doesNotMatch(r.out, /Warning|Error/, r.out);
      assert.deepEqual(r.seen, { undici: [], wasm: 'undefined' });
    }
    // The batches arrived, signed by the device key (the server verifies RFC 9421 on each), once each.
    const rows = await s.asAdmin(async (q) => (await q.query<{ id: string }>(`SELECT id::text FROM pulse_intervals WHERE tenant_id = $1`, [tenantId])).rows.map((r) => r.id));
    assert.deepEqual(rows.sort(), ivs.map((i) => i.id).sort());
    const batches = await s.asAdmin(async (q) => (await q.query<{ n: string }>(`SELECT count(*) AS n FROM pulse_batches WHERE tenant_id = $1`, [tenantId])).rows[0]!.n);
    assert.equal(Number(batches), 2, '600 intervals in batches of 500');
  } finally {
    await s.close();
  }
});
