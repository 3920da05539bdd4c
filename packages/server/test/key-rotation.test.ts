import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope } from '@parapet/core';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { FileKeyProvider, loadKeyFile, rotateKeyFile } from '../src/crypto/keyfile.js';
import { registerEncryptedColumn, rewrapAll } from '../src/crypto/rotation.js';
import { createTenant } from '../src/testing.js';
import '../src/modules.js'; // every module's sealed columns are registered, as in the CLI

let t: TestDatabase;
let dir: string;
before(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'rot-'));
  // A tenant table holding envelopes, made the way migrations make them.
  await t.asAdmin((a) =>
    a.exec(`SET ROLE parapet_owner;
      CREATE TABLE rot_secrets (tenant_id uuid NOT NULL REFERENCES tenants (id), id int NOT NULL, secret_sealed text, PRIMARY KEY (tenant_id, id));
      ALTER TABLE rot_secrets ENABLE ROW LEVEL SECURITY; ALTER TABLE rot_secrets FORCE ROW LEVEL SECURITY;
      CREATE POLICY p ON rot_secrets FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
      GRANT SELECT, INSERT, UPDATE ON rot_secrets TO parapet_app; RESET ROLE;`),
  );
  registerEncryptedColumn({ table: 'rot_secrets', column: 'secret_sealed', keyColumns: ['id'], record: (r) => `rot_secrets/${r.id}` });
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

test('rotate, re-wrap every envelope in every tenant, and read them all back', async () => {
  const path = join(dir, 'kek.json');
  const oldRing = await loadKeyFile(path);
  const oldKey = oldRing.activeKeyId();
  const tenants = [await createTenant(t.db), await createTenant(t.db)];
  for (const tenantId of tenants) {
    await t.db.tx({ tenantId }, async (q) => {
      for (let id = 1; id <= 250; id++) {
        await q.query(`INSERT INTO rot_secrets (tenant_id, id, secret_sealed) VALUES ($1, $2, $3)`, [tenantId, id, await envelope.seal(oldRing, `s-${id}`, { tenantId, record: `rot_secrets/${id}` })]);
      }
    });
  }
  // A server process holding the old ring keeps working while another process rotates.
  const live = await FileKeyProvider.open(path, 0);
  const { ring, newKeyId } = await rotateKeyFile(path);
  const report = await rewrapAll(t.db, ring, 100);
  assert.equal(report.rewrapped, 500);
  assert.deepEqual(report.byKey, { [newKeyId]: 500 });
  const again = await rewrapAll(t.db, ring, 100);
  assert.equal(again.rewrapped, 0);
  assert.equal(again.current, 500);
  for (const tenantId of tenants) {
    const rows = await t.db.tx({ tenantId }, (q) => q.query<{ id: number; secret_sealed: string }>(`SELECT id, secret_sealed FROM rot_secrets ORDER BY id`));
    assert.equal(rows.rows.length, 250);
    for (const r of rows.rows) {
      // The live provider has never seen the new key: it reloads the file on the miss.
      assert.equal((await envelope.open(live, r.secret_sealed, { tenantId, record: `rot_secrets/${r.id}` })).toString(), `s-${r.id}`);
    }
    const audit = await t.db.tx({ tenantId }, (q) => q.query<{ details: { count: number } }>(`SELECT details FROM audit_log WHERE action = 'crypto.keys.rewrapped'`));
    assert.equal(audit.rows[0]!.details.count, 250);
  }
  assert.equal(live.activeKeyId(), newKeyId);
  assert.notEqual(oldKey, newKeyId);
  live.close();
});
