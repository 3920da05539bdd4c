/**
 * The audit inbox and sequencer (migration 0102, audit/sequencer.ts): an entry commits with
 * its change, is chained after commit without writers of a tenant waiting for each other,
 * and cannot be lost on the way: not by a rollback, a crash before chaining, the app role,
 * or another tenant's trouble.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { KeyRing, verifyExport } from '@parapet/core';
import { createTenant } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';
import { ChainError, chainInbox, inboxBacklog, Sequencer, sequencerFor } from '../src/platform/audit-sequencer.js';
import { buildExport, issueCheckpoint } from '../src/audit/service.js';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.close());

const sys = { type: 'system' as const, id: 'test' };
const count = (tenantId: string, table: 'audit_log' | 'audit_inbox') =>
  t.db.tx({ tenantId }, async (q) => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);
/** An inbox entry written as another process (or a crashed one) would leave it: no kick. */
const unkicked = (tenantId: string, action = 'auth.session.opened') =>
  t.db.tx({ tenantId }, (q) => q.query(`INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, action, outcome, details) VALUES ($1, 'system', 'other-process', $2, 'success', '{"x": 1}')`, [tenantId, action]));
const keys = new KeyRing([{ id: 'k', key: randomBytes(32) }], 'k');
/** Signs a checkpoint (which chains whatever is waiting first) and verifies the export offline. */
const verified = async (tenantId: string) => {
  await issueCheckpoint(t.db, keys, tenantId);
  const x = await t.db.tx({ tenantId }, (q) => buildExport(q, tenantId));
  const r = verifyExport(x);
  return { ok: r.ok, reason: r.reason, seqs: x.entries.map((e) => e.seq), actions: x.entries.map((e) => e.record.action) };
};

test('a committed entry is chained after commit, field for field, and leaves the inbox', async () => {
  const tenant = await createTenant(t.db);
  await unkicked(tenant, 'device.enrolled');
  assert.equal(await count(tenant, 'audit_inbox'), 1);
  assert.equal(await count(tenant, 'audit_log'), 0, 'nothing is chained before the sequencer runs');
  await sequencerFor(t.db).flush(tenant);
  assert.equal(await count(tenant, 'audit_inbox'), 0);
  const rows = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ seq: number; action: string; actor_id: string; details: unknown; inbox_id: number }>(`SELECT seq, action, actor_id, details, inbox_id FROM audit_log`)).rows);
  assert.deepEqual(rows.map((r) => [r.seq, r.action, r.actor_id, r.details]), [[1, 'device.enrolled', 'other-process', { x: 1 }]]);
  assert.ok(Number(rows[0]!.inbox_id) > 0);
});

test('recordAudit chains on its own once the transaction commits; a rollback leaves nothing anywhere', async () => {
  const tenant = await createTenant(t.db);
  await t.db.tx({ tenantId: tenant }, (q) => recordAudit(q, tenant, sys, { action: 'auth.session.opened', outcome: 'success', details: { stage: 'password' } }));
  await assert.rejects(
    t.db.tx({ tenantId: tenant }, async (q) => {
      await recordAudit(q, tenant, sys, { action: 'auth.session.closed', outcome: 'success' });
      throw new Error('the change failed');
    }),
    /the change failed/,
  );
  // The settled view waits for post-commit work, i.e. the sequencer's round.
  assert.equal(await count(tenant, 'audit_inbox'), 0);
  assert.deepEqual((await verified(tenant)).actions, ['auth.session.opened']);
});

test('the app role cannot remove, change or truncate an entry that is not chained yet', async () => {
  const tenant = await createTenant(t.db);
  await unkicked(tenant);
  await assert.rejects(t.db.tx({ tenantId: tenant }, (q) => q.query(`DELETE FROM audit_inbox`)), /not in audit_log yet/);
  // No UPDATE grant, and the trigger would refuse it anyway.
  await assert.rejects(t.db.tx({ tenantId: tenant }, (q) => q.query(`UPDATE audit_inbox SET action = 'forged'`)), /permission denied|append-only/);
  await assert.rejects(t.db.tx({ tenantId: tenant }, (q) => q.query(`TRUNCATE audit_inbox`)), (e: { code?: string; message?: string }) => e.code === '42501' || /append-only/.test(e.message ?? ''));
  // Nor by chaining a forged copy under its inbox id: the delete check compares every field.
  await assert.rejects(
    t.db.tx({ tenantId: tenant }, async (q) => {
      const { rows } = await q.query<{ id: number }>(`SELECT id FROM audit_inbox`);
      const { leafBytes, merkle, ZERO_HASH } = await import('@parapet/core');
      const record = { tenant_id: tenant, seq: 1, at: '2026-01-01T00:00:00.000000Z', actor: { type: 'system' as const, id: 'other-process', name: null, ip: null, user_agent: null }, action: 'auth.session.closed', outcome: 'success' as const, target: null, purpose: null, details: { x: 1 } };
      const leaf = leafBytes(record, ZERO_HASH);
      await q.query(
        `INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, action, outcome, details, prev_hash, entry_hash, leaf, inbox_id) VALUES ($1, 1, $2, 'system', 'other-process', 'auth.session.closed', 'success', '{"x": 1}', $3, $4, $5, $6)`,
        [tenant, record.at, ZERO_HASH, merkle.leafHash(leaf), leaf, rows[0]!.id],
      );
      await q.query(`DELETE FROM audit_inbox`);
    }),
    /not in audit_log yet/,
  );
  assert.equal(await count(tenant, 'audit_inbox'), 1);
  await sequencerFor(t.db).flush(tenant);
  assert.deepEqual((await verified(tenant)).actions, ['auth.session.opened']);
});

test('after a crash between commit and chaining, the sweep finds and chains every waiting tenant', async () => {
  const a = await createTenant(t.db);
  const b = await createTenant(t.db);
  const idle = await createTenant(t.db);
  for (let i = 0; i < 3; i++) await unkicked(a);
  await unkicked(b);
  const backlog = await inboxBacklog(t.db);
  assert.ok(backlog.has(a) && backlog.has(b));
  assert.ok(!backlog.has(idle));
  assert.ok(Date.now() - backlog.get(a)!.getTime() < 60_000, 'the oldest waiting entry of a is from this test');
  // A fresh sequencer, as after a restart: its sweep runs once at start and measures the backlog's age.
  await new Promise((r) => setTimeout(r, 1100));
  const s = new Sequencer(t.db);
  s.startSweep(60_000);
  for (let i = 0; i < 100 && ((await count(a, 'audit_inbox')) || (await count(b, 'audit_inbox'))); i++) await new Promise((r) => setTimeout(r, 50));
  await s.stop();
  assert.ok(s.oldestWaitingSeconds >= 1, `oldest waiting ${s.oldestWaitingSeconds} s`);
  assert.deepEqual((await verified(a)).seqs, [1, 2, 3]);
  assert.deepEqual((await verified(b)).seqs, [1]);
});

test('a backlog larger than one batch is chained in order over several rounds', async () => {
  const tenant = await createTenant(t.db);
  await t.db.tx({ tenantId: tenant }, (q) =>
    q.query(`INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, action, outcome, details) SELECT $1, 'system', 'bulk', 'auth.session.opened', 'success', jsonb_build_object('i', g) FROM generate_series(1, 1203) g`, [tenant]),
  );
  await sequencerFor(t.db).flush(tenant);
  const rows = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ seq: number; i: number }>(`SELECT seq, (details->>'i')::int AS i FROM audit_log ORDER BY seq`)).rows);
  assert.equal(rows.length, 1203);
  assert.ok(rows.every((r, k) => r.seq === k + 1 && r.i === k + 1), 'chain order is inbox order');
  const v = await verified(tenant);
  assert.equal(v.ok, true, v.reason);
});

test('the commit that kicks a backlog is settled only once the whole backlog is chained (idle and close wait for it)', async () => {
  const tenant = await createTenant(t.db);
  await t.db.tx({ tenantId: tenant }, async (q) => {
    await q.query(`INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, action, outcome, details) SELECT $1, 'system', 'bulk', 'auth.session.opened', 'success', jsonb_build_object('i', g) FROM generate_series(1, 1100) g`, [tenant]);
    await recordAudit(q, tenant, sys, { action: 'auth.session.closed', outcome: 'success' });
  });
  await t.db.idle();
  // idle() has returned, so all three rounds (500 + 500 + 101) must be done.
  const left = await t.asAdmin(async (a) => Number((await a.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_inbox WHERE tenant_id = $1`, [tenant])).rows[0]!.n));
  assert.equal(left, 0);
  assert.equal(await count(tenant, 'audit_log'), 1101);
});

test("one tenant's failure does not hold up the others in the same round", async () => {
  const good = await createTenant(t.db);
  await unkicked(good);
  // An inbox entry whose tenant does not exist: audit_log's foreign key refuses it.
  const ghost = randomUUID();
  await t.db.tx({ tenantId: ghost }, (q) => q.query(`INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, action, outcome) VALUES ($1, 'system', 'x', 'auth.session.opened', 'success')`, [ghost]));
  const err = await chainInbox(t.db, [ghost, good]).then(
    () => assert.fail('the ghost tenant cannot be chained'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChainError);
  assert.deepEqual([...err.failed.keys()], [ghost]);
  assert.equal(err.chained.get(good), 1);
  assert.equal(await count(good, 'audit_inbox'), 0);
  assert.equal(await count(ghost, 'audit_inbox'), 1, 'the failed entry waits in the inbox, not lost');
});

test('overlapping writers of one tenant do not wait for each other; chain order follows commits', async (ctx) => {
  if (t.engine === 'pglite') return ctx.skip('PGlite runs one transaction at a time');
  const tenant = await createTenant(t.db);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let aWrote!: () => void;
  const wrote = new Promise<void>((r) => (aWrote = r));
  // A writes first (smaller inbox id) but commits last.
  const a = t.db.tx({ tenantId: tenant }, async (q) => {
    await recordAudit(q, tenant, sys, { action: 'auth.session.opened', outcome: 'success', details: { stage: 'A' } });
    aWrote();
    await gate;
  });
  await wrote;
  // B writes, commits and is chained while A is still open: no lock is held across commits.
  await t.db.tx({ tenantId: tenant }, (q) => recordAudit(q, tenant, sys, { action: 'auth.session.opened', outcome: 'success', details: { stage: 'B' } }));
  const s = sequencerFor(t.db);
  await s.flush(tenant);
  const early = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ who: string }>(`SELECT details->>'stage' AS who FROM audit_log ORDER BY seq`)).rows.map((r) => r.who));
  assert.deepEqual(early, ['B']);
  release();
  await a;
  await s.flush(tenant);
  const v = await verified(tenant);
  assert.equal(v.ok, true, v.reason);
  const order = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ who: string; inbox_id: number }>(`SELECT details->>'stage' AS who, inbox_id FROM audit_log ORDER BY seq`)).rows);
  assert.deepEqual(order.map((r) => r.who), ['B', 'A']);
  assert.ok(Number(order[1]!.inbox_id) < Number(order[0]!.inbox_id), 'A drew the smaller inbox id yet is chained after B, which committed first');
});

test('many concurrent writers over several tenants: every entry chained exactly once, no fork', async () => {
  const tenants = [await createTenant(t.db), await createTenant(t.db), await createTenant(t.db)];
  await Promise.all(
    Array.from({ length: 60 }, (_, i) => t.db.tx({ tenantId: tenants[i % 3]! }, (q) => recordAudit(q, tenants[i % 3]!, sys, { action: 'auth.session.opened', outcome: 'success', details: { stage: String(i) } }))),
  );
  for (const [k, tenant] of tenants.entries()) {
    const v = await verified(tenant);
    assert.equal(v.ok, true, v.reason);
    assert.deepEqual(v.seqs, Array.from({ length: 20 }, (_, j) => j + 1));
    const is = await t.db.tx({ tenantId: tenant }, async (q) => (await q.query<{ i: number }>(`SELECT (details->>'stage')::int AS i FROM audit_log ORDER BY 1`)).rows.map((r) => r.i));
    assert.deepEqual(is, Array.from({ length: 20 }, (_, j) => j * 3 + k));
  }
});
