import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleScope } from '@parapet/core';
import { runCli as run } from './run-cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-scope-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('keygen writes a 0600 private key and a public key; refuses to overwrite', async () => {
  const key = join(dir, 'lead');
  const r = await run(['keygen', '--out', key, '--json']);
  assert.equal(r.code, 0, r.err);
  assert.match(JSON.parse(r.out).key_id, /^[0-9a-f]{64}$/);
  assert.equal((await stat(key)).mode & 0o777, 0o600);
  assert.match(await readFile(key, 'utf8'), /BEGIN PRIVATE KEY/);
  assert.match(await readFile(`${key}.pub`, 'utf8'), /BEGIN PUBLIC KEY/);
  const again = await run(['keygen', '--out', key]);
  assert.equal(again.code, 1);
  assert.match(again.err, /already exists/);
});

test('scope sign then verify; a tampered byte, another key or an invalid scope fail', async () => {
  const key = join(dir, 'k1');
  const other = join(dir, 'k2');
  await run(['keygen', '--out', key]);
  await run(['keygen', '--out', other]);
  const scopeFile = join(dir, 'scope.json');
  await writeFile(scopeFile, JSON.stringify(exampleScope(), null, 2));
  const out = join(dir, 'scope.dsse.json');
  const s = await run(['scope', 'sign', scopeFile, '--key', key, '--out', out]);
  assert.equal(s.code, 0, s.err);
  const env = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(env.payloadType, 'application/vnd.parapet.scope+json');
  // The payload is the RFC 8785 form: keys sorted, no whitespace.
  assert.match(Buffer.from(env.payload, 'base64').toString(), /^\{"environment":"production","exclude":\["10\.0\.0\.128\/28"\],/);
  const v = await run(['scope', 'verify', out, '--pub', `${key}.pub`, '--json']);
  assert.equal(v.code, 0, v.err);
  assert.equal(JSON.parse(v.out).scope, 'dmz');

  const wrongKey = await run(['scope', 'verify', out, '--pub', `${other}.pub`]);
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.err, /does not verify/);

  const p = Buffer.from(env.payload, 'base64');
  p[p.indexOf('dmz')] = 'e'.charCodeAt(0); // one byte changed
  const tampered = join(dir, 'tampered.dsse.json');
  await writeFile(tampered, JSON.stringify({ ...env, payload: p.toString('base64') }));
  const t = await run(['scope', 'verify', tampered, '--pub', `${key}.pub`]);
  assert.equal(t.code, 1);
  assert.match(t.err, /does not verify: No signature/);

  await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...exampleScope(), include: ['10.0.0.1/8'] }));
  const bad = await run(['scope', 'sign', join(dir, 'bad.json'), '--key', key, '--out', join(dir, 'bad.dsse.json')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /invalid CIDR/);
});
