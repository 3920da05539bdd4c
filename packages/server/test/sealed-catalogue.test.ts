/**
 * The sealed-column catalogue: every `*_sealed` column the migrations create is registered by
 * its module (so `parapet keys rewrap` moves it), found from pg_catalog rather than a list, so
 * a migration that adds one without a registration fails here. An unregistered column is
 * still counted by `keyUsage` (retire refuses) and makes `rewrapAll` refuse. The audit log key
 * table accepts a re-wrap and nothing else.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { envelope, KeyRing } from '@parapet/core';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import '../src/modules.js';
import { discoverSealedColumns, keyUsage, rewrapAll, sealedColumns, UnregisteredSealedColumnError } from '../src/platform/sealed.js';
import { issueCheckpoint } from '../src/audit/service.js';
import { recordAudit } from '../src/platform/audit.js';
import { createTenant } from '../src/testing.js';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.close());

const k = (n: number) => Buffer.alloc(32, n);

test('every *_sealed column in the catalogue is registered, on a tenant table, and every registration exists', async (ctx) => {
  const found = await discoverSealedColumns(t.db);
  ctx.diagnostic(`sealed columns found in the catalogue: ${found.map((f) => `${f.table}.${f.column}`).join(', ')}`);
  const registered = new Set(sealedColumns().map((c) => `${c.table}.${c.column}`));
  for (const f of found) {
    assert.ok(f.tenantScoped, `${f.table}.${f.column}: sealed values must live on tenant tables (the envelope binds the tenant)`);
    assert.ok(registered.has(`${f.table}.${f.column}`), `${f.table}.${f.column} is not registered with registerSealedColumn; key rotation would skip it`);
  }
  const names = new Set(found.map((f) => `${f.table}.${f.column}`));
  for (const r of registered) assert.ok(names.has(r), `${r} is registered but no migration creates it`);
  for (const must of ['mfa_totp.secret_sealed', 'sso_configs.client_secret_sealed', 'audit_log_keys.private_sealed', 'vault_object_wraps.wrap_sealed']) assert.ok(names.has(must), must);
});

test('a *_sealed column no module registered is counted by keyUsage and makes rewrapAll refuse', async () => {
  const ring = new KeyRing([{ id: 'old', key: k(1) }], 'old');
  const tenantId = await createTenant(t.db);
  await t.asAdmin((a) =>
    a.exec(`SET ROLE parapet_owner;
      CREATE TABLE stray (tenant_id uuid NOT NULL REFERENCES tenants (id), id int NOT NULL, note_sealed text, PRIMARY KEY (tenant_id, id));
      ALTER TABLE stray ENABLE ROW LEVEL SECURITY; ALTER TABLE stray FORCE ROW LEVEL SECURITY;
      CREATE POLICY p ON stray FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
      GRANT SELECT, INSERT, UPDATE ON stray TO parapet_app; RESET ROLE;`),
  );
  try {
    await t.db.tx({ tenantId }, async (q) => q.query(`INSERT INTO stray VALUES ($1, 1, $2)`, [tenantId, await envelope.seal(ring, 'x', { tenantId, record: 'stray/1' })]));
    const u = await keyUsage(t.db);
    assert.deepEqual(u.unregistered, ['stray.note_sealed']);
    assert.deepEqual(u.where.old, { 'stray.note_sealed': 1 });
    const rotated = new KeyRing([{ id: 'old', key: k(1) }, { id: 'new', key: k(2) }], 'new');
    await assert.rejects(rewrapAll(t.db, rotated), UnregisteredSealedColumnError);
  } finally {
    await t.asAdmin((a) => a.exec(`DROP TABLE stray`));
  }
});

test('audit_log_keys: the app may re-wrap private_sealed, and may change nothing else', async () => {
  const old = new KeyRing([{ id: 'old', key: k(3) }], 'old');
  const tenantId = await createTenant(t.db);
  await t.db.tx({ tenantId }, (q) => recordAudit(q, tenantId, { type: 'system', id: 'test' }, { action: 'tenant.created', outcome: 'success', details: { slug: 'test', name: 'test' } }));
  await issueCheckpoint(t.db, old, tenantId);
  const row = await t.db.tx({ tenantId }, async (q) => (await q.query<{ key_id: string; private_sealed: string; name: string }>(`SELECT key_id, private_sealed, name FROM audit_log_keys`)).rows[0]!);
  const ring = new KeyRing([{ id: 'old', key: k(3) }, { id: 'new', key: k(4) }], 'new');
  const moved = await envelope.rewrap(ring, row.private_sealed, { tenantId, record: `audit_log_key/${row.key_id}` });
  // Replacing the sealed private key (new ciphertext) is refused, as is any other column.
  const other = await envelope.seal(ring, Buffer.alloc(48, 7), { tenantId, record: `audit_log_key/${row.key_id}` });
  await assert.rejects(t.db.tx({ tenantId }, (q) => q.query(`UPDATE audit_log_keys SET private_sealed = $1`, [other])), /append-only/);
  await assert.rejects(t.db.tx({ tenantId }, (q) => q.query(`UPDATE audit_log_keys SET name = 'x'`)), /permission denied|append-only/);
  await assert.rejects(t.db.tx({ tenantId }, (q) => q.query(`DELETE FROM audit_log_keys`)), /permission denied|append-only/);
  const upd = await t.db.tx({ tenantId }, (q) => q.query(`UPDATE audit_log_keys SET private_sealed = $1 WHERE key_id = $2`, [moved, row.key_id]));
  assert.equal(upd.rowCount, 1);
  // The log keeps signing with the re-wrapped key under the new KEK only.
  await t.db.tx({ tenantId }, (q) => recordAudit(q, tenantId, { type: 'system', id: 'test' }, { action: 'tenant.created', outcome: 'success', details: { slug: 'test', name: 'test' } }));
  assert.ok(await issueCheckpoint(t.db, new KeyRing([{ id: 'new', key: k(4) }], 'new'), tenantId));
});
