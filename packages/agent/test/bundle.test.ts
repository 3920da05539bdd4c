// The installed form: the esbuild bundle runs as an executable (its shebang passes the V8 flags
// through `env -S`), loads its external native packages (SQLCipher) from node_modules, and gives
// the same bytes as the source form for `rules test` and `show`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS, bundleAgent } from '../scripts/bundle.js';

const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'pulse-bundle-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the bundle runs with its flags and answers exactly like the source form', async () => {
  const out = join(work, 'dist', 'parapet-agent.mjs');
  await bundleAgent(out);
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'x', version: '0.0.0', type: 'module' }));
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
