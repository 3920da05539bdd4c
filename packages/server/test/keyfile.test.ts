import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope } from '@parapet/core';
import { loadKeyFile, retireKey, rotateKeyFile } from '../src/crypto/keyfile.js';

const b = { tenantId: 't', record: 'r/1' };

test('the key file is created 0600 with one 256-bit key and reloads to the same ring', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kf-'));
  try {
    const p = join(dir, 'keys', 'kek.json');
    const ring = await loadKeyFile(p);
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700);
    const env = await envelope.seal(ring, 'secret', b);
    const again = await loadKeyFile(p);
    assert.equal((await envelope.open(again, env, b)).toString(), 'secret');
    const kf = JSON.parse(await readFile(p, 'utf8'));
    assert.equal(Buffer.from(kf.keys[0].key, 'base64').length, 32);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a key file readable by others is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kf-'));
  try {
    const p = join(dir, 'kek.json');
    await loadKeyFile(p);
    await chmod(p, 0o644);
    await assert.rejects(loadKeyFile(p), /readable by others/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rotation without downtime: old envelopes open, rewrap moves them, then the old key retires', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kf-'));
  try {
    const p = join(dir, 'kek.json');
    const before = await loadKeyFile(p);
    const oldId = before.activeKeyId();
    const env = await envelope.seal(before, 'totp-seed', b);
    const { ring, newKeyId } = await rotateKeyFile(p);
    assert.notEqual(newKeyId, oldId);
    assert.equal(ring.activeKeyId(), newKeyId);
    assert.equal((await envelope.open(ring, env, b)).toString(), 'totp-seed');
    const moved = await envelope.rewrap(ring, env, b);
    assert.equal(envelope.envelopeKeyId(moved), newKeyId);
    await assert.rejects(retireKey(p, newKeyId), /active key/);
    await retireKey(p, oldId);
    const after = await loadKeyFile(p);
    assert.deepEqual(after.keyIds(), [newKeyId]);
    assert.equal((await envelope.open(after, moved, b)).toString(), 'totp-seed');
    await assert.rejects(envelope.open(after, env, b), /not available/);
    assert.equal((await stat(p)).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
