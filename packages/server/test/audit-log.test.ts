/**
 * CORE-AUDIT storage: the database itself refuses to change audit rows, for the app role,
 * the owner and a superuser with session_replication_role = replica; the chain is enforced
 * on insert.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { ZERO_HASH, leafBytes, merkle, parseLeaf } from '@parapet/core';
import { createTenant } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';

let t: TestDatabase;
let tenant: string;
before(async () => {
  t = await createTestDatabase();
  tenant = await createTenant(t.db);
  await t.db.tx({ tenantId: tenant }, async (q) => {
    for (let i = 0; i < 3; i++) await recordAudit(q, tenant, { type: 'system', id: 'test' }, { action: 'tenant.created', outcome: 'success', details: { slug: `t${i}`, name: 'test' } });
  });
});
after(() => t.close());

const refusedByTrigger = (e: { message?: string }) => /append-only/.test(e.message ?? '');
const permissionDenied = (e: { code?: string }) => e.code === '42501';

test('entries chain: seq 1..n, prev_hash is the previous leaf hash, entry_hash the RFC 6962 leaf hash', async () => {
  const rows = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ seq: number; prev_hash: Buffer; entry_hash: Buffer; leaf: Buffer }>(`SELECT seq, prev_hash, entry_hash, leaf FROM audit_log ORDER BY seq`)).rows);
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3]);
  let prev: Buffer = ZERO_HASH;
  for (const r of rows) {
    assert.ok(r.prev_hash.equals(prev));
    assert.ok(r.entry_hash.equals(merkle.leafHash(r.leaf)));
    const p = parseLeaf(r.leaf);
    assert.equal(p.record.seq, r.seq);
    assert.ok(p.prev.equals(prev));
    assert.ok(leafBytes(p.record, p.prev).equals(r.leaf));
    prev = r.entry_hash;
  }
});

test('the app role cannot UPDATE, DELETE or TRUNCATE audit tables', async () => {
  for (const table of ['audit_log', 'audit_checkpoints', 'audit_log_keys']) {
    await assert.rejects(t.db.tx({ tenantId: tenant }, (q) => q.query(`UPDATE ${table} SET tenant_id = tenant_id`)), permissionDenied, `${table} UPDATE`);
    await assert.rejects(t.db.tx({ tenantId: tenant }, (q) => q.query(`DELETE FROM ${table}`)), permissionDenied, `${table} DELETE`);
    await assert.rejects(t.db.tx({ tenantId: tenant }, (q) => q.query(`TRUNCATE ${table}`)), permissionDenied, `${table} TRUNCATE`);
  }
});

test('the insert trigger refuses a forked or gapped chain and a wrong entry hash', async () => {
  const rows = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ leaf: Buffer; entry_hash: Buffer }>(`SELECT leaf, entry_hash FROM audit_log ORDER BY seq`)).rows);
  const ins = (seq: number, prev: Buffer, hash: Buffer, leaf: Buffer) =>
    t.db.tx({ tenantId: tenant }, (q) =>
      q.query(`INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, action, outcome, prev_hash, entry_hash, leaf) VALUES ($1, $2, now(), 'system', 'x', 'x', 'success', $3, $4, $5)`, [tenant, seq, prev, hash, leaf]),
    );
  const leaf = Buffer.from('{}');
  // A second entry 3 (fork): refused by the primary key or the trigger either way.
  await assert.rejects(ins(3, rows[1]!.entry_hash, merkle.leafHash(leaf), leaf));
  await assert.rejects(ins(5, rows[2]!.entry_hash, merkle.leafHash(leaf), leaf), /does not extend the chain/);
  await assert.rejects(ins(4, rows[1]!.entry_hash, merkle.leafHash(leaf), leaf), /does not extend the chain/);
  await assert.rejects(ins(4, rows[2]!.entry_hash, Buffer.alloc(32), leaf), /not the leaf hash/);
});

test('the owner cannot UPDATE, DELETE or TRUNCATE audit rows even with RLS relaxed: the triggers refuse', async () => {
  for (const sql of [`UPDATE audit_log SET action = 'forged'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`]) {
    await assert.rejects(
      t.asAdmin((s) =>
        s.transaction(async (x) => {
          // The owner may relax RLS on its own table; only the trigger stands in the way then.
          await x.exec(`SET LOCAL ROLE parapet_owner; ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY`);
          const seen = await x.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log`);
          assert.ok(seen.rows[0]!.n >= 3, 'owner sees the rows');
          await x.exec(sql);
        }),
      ),
      refusedByTrigger,
      sql,
    );
  }
  const n = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action <> 'forged'`)).rows[0]!.n);
  assert.equal(n, 3);
});

test('a superuser with session_replication_role = replica is refused too (ENABLE ALWAYS)', async () => {
  for (const sql of [`UPDATE audit_log SET action = 'forged'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`]) {
    await assert.rejects(
      t.asAdmin((s) =>
        s.transaction(async (x) => {
          await x.exec(`SET LOCAL session_replication_role = replica`);
          await x.exec(sql);
        }),
      ),
      refusedByTrigger,
      sql,
    );
  }
  const triggers = await t.asAdmin(async (s) => (await s.query<{ tgname: string; tgenabled: string }>(`SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid IN ('audit_log'::regclass, 'audit_checkpoints'::regclass, 'audit_log_keys'::regclass) AND NOT tgisinternal`)).rows);
  assert.equal(triggers.length, 7);
  for (const tr of triggers) assert.equal(tr.tgenabled, 'A', `${tr.tgname} is not ENABLE ALWAYS`);
  const n = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log`)).rows[0]!.n);
  assert.equal(n, 3);
});

test('concurrent writers of one tenant never fork the chain', async () => {
  const other = await createTenant(t.db);
  await Promise.all(
    Array.from({ length: 12 }, (_, i) => t.db.tx({ tenantId: other }, (q) => recordAudit(q, other, { type: 'system', id: 'w' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: `filler ${i}` } }))),
  );
  const rows = await t.db.tx({ tenantId: other }, async (q) => (await q.query<{ seq: number; prev_hash: Buffer; entry_hash: Buffer }>(`SELECT seq, prev_hash, entry_hash FROM audit_log ORDER BY seq`)).rows);
  assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 12 }, (_, i) => i + 1));
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.prev_hash.equals(rows[i - 1]!.entry_hash));
});
