import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, envelope, verifyExport, EXPORT_FORMAT } from '@parapet/core';
import { FsVault } from '../src/vault/fs.js';
import { VaultError } from '../src/vault/vault.js';
import { getSealed, putSealed, tenantKey } from '../src/vault/sealed.js';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';
import { AUDIT_RETENTION_MONTHS } from '../src/audit/snapshot.js';
import { settingFrom } from '../src/platform/settings.js';
import { loadKeyFile } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-vault-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const code = (c: VaultError['code']) => (e: unknown) => e instanceof VaultError && e.code === c;

test('filesystem vault: write-once, read-only files, retention enforced, checksum on every read', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const v = new FsVault(join(dir, 'a'), () => now);
  const until = new Date('2027-01-01T00:00:00Z');
  const info = await v.put('x/obj1', Buffer.from('hello'), { retainUntil: until });
  assert.equal(info.size, 5);
  assert.equal((await v.get('x/obj1')).toString(), 'hello');
  await assert.rejects(v.put('x/obj1', Buffer.from('other'), { retainUntil: until }), code('exists'));
  assert.equal((await v.get('x/obj1')).toString(), 'hello');
  for (const f of ['x/obj1', 'x/obj1.meta.json']) assert.equal((await stat(join(dir, 'a', f))).mode & 0o777, 0o444, f);
  await assert.rejects(v.delete('x/obj1'), code('retained'));
  // Tampering on disk (someone with file rights) is caught on the next read.
  await chmod(join(dir, 'a', 'x/obj1'), 0o644);
  await writeFile(join(dir, 'a', 'x/obj1'), 'hellp');
  await assert.rejects(v.get('x/obj1'), code('integrity'));
  for (const bad of ['../escape', '/abs', 'a//b', 'a/./b', 'x/obj1.meta.json', '']) await assert.rejects(v.put(bad, Buffer.from('x'), { retainUntil: until }), code('invalid_key'), bad);
  assert.deepEqual(await v.list('x/'), ['x/obj1']);
  now = new Date('2027-01-01T00:00:01Z');
  await v.delete('x/obj1');
  assert.equal(await v.head('x/obj1'), undefined);
});

test('objects are encrypted before they reach the driver and bound to their tenant and key', async () => {
  const keys = new KeyRing([{ id: 'k1', key: randomBytes(32) }], 'k1');
  const v = new FsVault(join(dir, 'b'));
  const tenant = randomUUID();
  const secret = Buffer.from('very secret audit snapshot');
  await putSealed(v, keys, tenant, 'audit/s1', secret, new Date(Date.now() + 86400_000));
  const onDisk = await readFile(join(dir, 'b', 'tenants', tenant, 'audit', 's1'));
  assert.ok(!onDisk.includes(secret));
  assert.ok((await getSealed(v, keys, tenant, 'audit/s1')).equals(secret));
  // The same ciphertext under another tenant's prefix does not open.
  const other = randomUUID();
  await v.put(tenantKey(other, 'audit/s1'), onDisk, { retainUntil: new Date(Date.now() + 86400_000) });
  await assert.rejects(getSealed(v, keys, other, 'audit/s1'));
  void envelope;
});

test('retention: default 7 years, never below 24 months', () => {
  assert.equal(settingFrom(AUDIT_RETENTION_MONTHS, undefined), 84);
  assert.equal(settingFrom(AUDIT_RETENTION_MONTHS, 24), 24);
  assert.equal(settingFrom(AUDIT_RETENTION_MONTHS, 6), 24);
  assert.equal(settingFrom(AUDIT_RETENTION_MONTHS, 120), 120);
});

let s: TestServer;
test('snapshots: new entries and their checkpoint go to the vault, encrypted, retained', async () => {
  s = await startTestServer();
  try {
    const a = await loginAs(s, { roles: ['admin'] });
    await s.db.tx({ tenantId: a.tenantId }, async (q) => {
      for (let i = 0; i < 4; i++) await recordAudit(q, a.tenantId, { type: 'system', id: 't' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: 'password' } });
    });
    const r1 = await a.client.post('/api/v1/audit/snapshots', {});
    assert.equal(r1.status, 201, r1.text);
    assert.deepEqual([r1.json.from_seq, r1.json.to_seq], [1, 4]);
    const years = (new Date(r1.json.retain_until).getTime() - Date.now()) / (365.25 * 86400_000);
    assert.ok(years > 6.9 && years < 7.1, `retained ${years} years`);
    assert.equal((await a.client.post('/api/v1/audit/snapshots', {})).json.status, 'up_to_date');
    await s.db.tx({ tenantId: a.tenantId }, (q) => recordAudit(q, a.tenantId, { type: 'system', id: 't' }, { action: 'auth.session.closed', outcome: 'success' }));
    const r2 = await a.client.post('/api/v1/audit/snapshots', {});
    assert.deepEqual([r2.json.from_seq, r2.json.to_seq], [5, 5]);
    assert.equal((await a.client.get('/api/v1/audit/snapshots')).json.snapshots.length, 2);

    const keys = await loadKeyFile(dataPaths(s.dataDir).keyFile);
    const v = new FsVault(join(s.dataDir, 'vault'));
    const body = JSON.parse((await getSealed(v, keys, a.tenantId, r1.json.object_key.replace(`tenants/${a.tenantId}/`, ''))).toString());
    assert.equal(body.entries.length, 4);
    // A snapshot is a self-contained, verifiable export of its range.
    const r = verifyExport({ format: EXPORT_FORMAT, tenant_id: body.tenant_id, origin: body.origin, log_keys: body.log_keys, entries: body.entries, checkpoints: [body.checkpoint] });
    assert.ok(r.ok, r.reason);
    await assert.rejects(v.delete(r1.json.object_key), code('retained'));
  } finally {
    await s.close();
  }
});
