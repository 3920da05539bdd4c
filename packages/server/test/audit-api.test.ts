import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { merkle, signedNote, verifyExport } from '@parapet/core';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';
import { latestCheckpoint, startCheckpointTimer } from '../src/audit/service.js';
import { loadKeyFile } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const b = (x: string) => Buffer.from(x, 'base64');

async function addEntries(tenantId: string, n: number) {
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < n; i++) await recordAudit(q, tenantId, { type: 'system', id: 'test', name: 'filler' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: `filler ${i}` } });
  });
}

test('checkpoints are signed notes under the published verifier key; proofs verify against them', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  await addEntries(a.tenantId, 5);
  const c1 = await a.client.post('/api/v1/audit/checkpoints', {});
  assert.equal(c1.status, 201, c1.text);
  assert.equal(c1.json.tree_size, 5);
  const key = await a.client.get('/api/v1/audit/key');
  assert.equal(key.status, 200);
  assert.match(key.json.verifier_key, new RegExp(`^parapet\\.audit/${a.tenantId}\\+[0-9a-f]{8}\\+`));
  const v = signedNote.parseVerifierKey(key.json.verifier_key);
  const note = signedNote.parseNote(c1.json.note);
  assert.ok(signedNote.noteSignedBy(note, v));
  const cp = signedNote.parseCheckpoint(note.text);
  assert.deepEqual([cp.origin, cp.size, cp.root.toString('base64')], [`parapet.audit/${a.tenantId}`, 5, c1.json.root_hash]);
  // Same size again: the same checkpoint (idempotent), and GET returns it.
  assert.equal((await a.client.post('/api/v1/audit/checkpoints', {})).json.note, c1.json.note);
  assert.equal((await a.client.get('/api/v1/audit/checkpoint')).json.note, c1.json.note);

  const entries = await a.client.get('/api/v1/audit/entries?from=1&limit=10');
  assert.equal(entries.status, 200);
  assert.equal(entries.json.entries.length, 5);
  for (let i = 0; i < 5; i++) {
    const e = entries.json.entries[i];
    assert.equal(e.entry_hash, merkle.leafHash(b(e.leaf)).toString('hex'));
    const pr = await a.client.get(`/api/v1/audit/proof/inclusion?index=${i}&tree_size=5`);
    assert.equal(pr.status, 200, pr.text);
    assert.ok(merkle.verifyInclusion(merkle.leafHash(b(e.leaf)), i, 5, pr.json.proof.map(b), cp.root), `entry ${i}`);
  }

  await addEntries(a.tenantId, 4);
  const c2 = await a.client.post('/api/v1/audit/checkpoints', {});
  assert.equal(c2.json.tree_size, 9);
  const cons = await a.client.get('/api/v1/audit/proof/consistency?old=5&new=9');
  assert.equal(cons.status, 200);
  assert.ok(merkle.verifyConsistency(5, 9, cp.root, b(c2.json.root_hash), cons.json.proof.map(b)));
  assert.equal((await a.client.get('/api/v1/audit/proof/inclusion?index=9&tree_size=9')).json.code, 'index_out_of_range');
  assert.equal((await a.client.get('/api/v1/audit/proof/inclusion?index=0&tree_size=99')).json.code, 'tree_size_too_large');
});

test('the private log key is sealed with envelope encryption, bound to its tenant', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  await a.client.get('/api/v1/audit/key');
  const rows = await s.asAdmin(async (x) => (await x.query<{ private_sealed: string }>(`SELECT private_sealed FROM audit_log_keys WHERE tenant_id = $1`, [a.tenantId])).rows);
  assert.equal(rows.length, 1);
  assert.match(rows[0]!.private_sealed, /^pe1\./);
  const { envelope } = await import('@parapet/core');
  const keys = await loadKeyFile(dataPaths(s.dataDir).keyFile);
  const kid = (await a.client.get('/api/v1/audit/key')).json.key_id;
  assert.ok((await envelope.open(keys, rows[0]!.private_sealed, { tenantId: a.tenantId, record: `audit_log_key/${kid}` })).length > 0);
  await assert.rejects(envelope.open(keys, rows[0]!.private_sealed, { tenantId: '00000000-0000-0000-0000-000000000000', record: `audit_log_key/${kid}` }));
});

test('auditors read; other roles are refused and the refusal is itself audited; nobody can change the log', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const auditor = await loginAs(s, { roles: ['auditor'], tenantId: admin.tenantId });
  const employee = await loginAs(s, { roles: ['employee'], tenantId: admin.tenantId });
  await addEntries(admin.tenantId, 2);
  assert.equal((await auditor.client.get('/api/v1/audit/entries')).status, 200);
  assert.equal((await auditor.client.post('/api/v1/audit/checkpoints', {})).status, 201);
  const denied = await employee.client.get('/api/v1/audit/entries');
  assert.equal(denied.status, 403);
  assert.equal(denied.json.code, 'forbidden');
  assert.equal((await s.client().get('/api/v1/audit/entries')).status, 401);
  const last = await admin.client.get('/api/v1/audit/entries?from=1&limit=1000');
  const rec = last.json.entries.at(-1).record;
  assert.equal(rec.action, 'authz.access.denied');
  assert.equal(rec.outcome, 'denied');
  assert.equal(rec.actor.id, employee.userId);
  for (const m of ['PUT', 'PATCH', 'DELETE']) {
    const r = await admin.client.request(m, '/api/v1/audit/entries', { json: {} });
    assert.equal(r.status, 404, `${m} must not exist`);
  }
  // Export needs a fresh MFA verification.
  const noMfa = await auditor.client.get('/api/v1/audit/export');
  assert.equal(noMfa.status, 401);
  assert.equal(noMfa.json.code, 'step_up_required');
  const ex = await admin.client.get('/api/v1/audit/export');
  assert.equal(ex.status, 200, ex.text);
  const r = verifyExport(ex.json);
  assert.ok(r.ok, r.reason);
  assert.equal(ex.json.entries.at(-1).record.action, 'audit.log.exported');
  // The export is covered by a checkpoint that includes the export's own entry.
  assert.equal(signedNote.parseCheckpoint(signedNote.parseNote(ex.json.checkpoints.at(-1)).text).size, ex.json.entries.length);
});

test('the checkpoint timer signs only logs that grew, and stops', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  await addEntries(a.tenantId, 3);
  const keys = await loadKeyFile(dataPaths(s.dataDir).keyFile);
  const dirty = new Set([a.tenantId]);
  const stop = startCheckpointTimer({ db: s.db, keys, dirty, intervalMs: 20 });
  try {
    // Poll rather than sleep a fixed time: a loaded CI machine may take a while per tick.
    let cp: Awaited<ReturnType<typeof latestCheckpoint>> | undefined;
    for (let i = 0; i < 500 && cp?.treeSize !== 3; i++) {
      await sleep(20);
      cp = await s.db.tx({ tenantId: a.tenantId }, (q) => latestCheckpoint(q));
    }
    assert.equal(cp?.treeSize, 3);
    assert.equal(dirty.size, 0);
  } finally {
    stop();
  }
});

test('status verifies the whole log now, and names the first entry an owner edited with the triggers off', async () => {
  const a = await loginAs(s, { roles: ['auditor'] });
  await addEntries(a.tenantId, 5);
  const admin = await loginAs(s, { roles: ['admin'], tenantId: a.tenantId });
  assert.equal((await admin.client.post('/api/v1/audit/checkpoints', {})).status, 201);
  const ok = (await a.client.get('/api/v1/audit/status')).json;
  assert.deepEqual([ok.verified, ok.entries, ok.latest_checkpoint.tree_size, ok.first_bad_entry], [true, 5, 5, null]);
  await s.asAdmin((x) =>
    x.transaction(async (t) => {
      await t.exec(`SET LOCAL ROLE parapet_owner; ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete; ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;`);
      await t.query(`UPDATE audit_log SET details = '{"i": 99}' WHERE tenant_id = $1 AND seq = 3`, [a.tenantId]);
      await t.exec(`ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete; ALTER TABLE audit_log FORCE ROW LEVEL SECURITY; RESET ROLE;`);
    }),
  );
  const bad = (await a.client.get('/api/v1/audit/status')).json;
  assert.equal(bad.verified, false);
  assert.equal(bad.first_bad_entry, 3);
  assert.match(bad.reason, /edited/);
});

test('snapshot retention: 7 years by default, an admin with fresh MFA may set it, never below 24 months, audited', async () => {
  const auditor = await loginAs(s, { roles: ['auditor'] });
  assert.deepEqual((await auditor.client.get('/api/v1/audit/settings')).json, { retention_months: 84, default_months: 84, minimum_months: 24 });
  assert.equal((await auditor.client.request('PUT', '/api/v1/audit/settings', { json: { retention_months: 36 } })).json.code, 'forbidden');
  const stale = await loginAs(s, { roles: ['admin'], tenantId: auditor.tenantId });
  assert.equal((await stale.client.request('PUT', '/api/v1/audit/settings', { json: { retention_months: 36 } })).json.code, 'step_up_required');
  const admin = await loginAs(s, { roles: ['admin'], tenantId: auditor.tenantId, mfaFresh: true });
  const low = await admin.client.request('PUT', '/api/v1/audit/settings', { json: { retention_months: 23 } });
  assert.equal(low.status, 400);
  assert.equal(low.json.code, 'invalid_request');
  const ok = await admin.client.request('PUT', '/api/v1/audit/settings', { json: { retention_months: 24 } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await auditor.client.get('/api/v1/audit/settings')).json.retention_months, 24);
  const { rows } = await s.db.tx({ tenantId: auditor.tenantId }, (q) => q.query<{ details: { retention_months: { before: number; after: number } } }>(`SELECT details FROM audit_log WHERE action = 'audit.settings.changed'`));
  assert.deepEqual(rows[0]!.details.retention_months, { before: 84, after: 24 });
});

// Issue 12 item 5: entries after the latest checkpoint cut (or the newest rewritten) by a
// database superuser are detected, because a checkpoint follows each round within
// CHECKPOINT_MIN_INTERVAL_MS and its note is pinned in the vault, out of the database's reach.
test('a cut at the end of the log is detected against the checkpoint pinned in the vault', async () => {
  const { CHECKPOINT_MIN_INTERVAL_MS } = await import('../src/audit/routes.js');
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  await addEntries(a.tenantId, 3);
  const c3 = await a.client.post('/api/v1/audit/checkpoints', {});
  assert.equal(c3.status, 201, c3.text);
  const base = c3.json.tree_size as number;
  await addEntries(a.tenantId, 2);
  // No one asks for a checkpoint: the sequencer's round brings one, pinned in the vault.
  let pinned: number | undefined;
  for (let i = 0; i < (CHECKPOINT_MIN_INTERVAL_MS + 20_000) / 100 && !(pinned! >= base + 2); i++) {
    await sleep(100);
    const { pinnedCheckpoint, auditVault } = await import('../src/audit/service.js');
    pinned = (await pinnedCheckpoint(auditVault(s.dataDir), a.tenantId))?.treeSize;
  }
  assert.ok(pinned! >= base + 2, `pinned ${pinned}`);
  // The attacker: superuser, triggers off, cuts the newest entries and the checkpoints over them.
  await s.asAdmin((x) =>
    x.transaction(async (t) => {
      const tables = ['audit_log', 'audit_checkpoints', 'audit_cosignatures'];
      await t.exec(`SET LOCAL ROLE parapet_owner;`);
      const trig = (await t.query<{ rel: string; tgname: string; tgenabled: string }>(
        `SELECT tgrelid::regclass::text AS rel, tgname, tgenabled FROM pg_trigger WHERE tgrelid = ANY($1::regclass[]) AND NOT tgisinternal`, [tables],
      )).rows;
      for (const r of trig) await t.exec(`ALTER TABLE ${r.rel} DISABLE TRIGGER ${r.tgname}`);
      for (const tb of tables) await t.exec(`ALTER TABLE ${tb} NO FORCE ROW LEVEL SECURITY`);
      await t.query(`DELETE FROM audit_log WHERE tenant_id = $1 AND seq > $2`, [a.tenantId, base]);
      await t.query(`DELETE FROM audit_cosignatures WHERE tenant_id = $1 AND tree_size > $2`, [a.tenantId, base]);
      await t.query(`DELETE FROM audit_checkpoints WHERE tenant_id = $1 AND tree_size > $2`, [a.tenantId, base]);
      for (const r of trig) await t.exec(`ALTER TABLE ${r.rel} ENABLE ${r.tgenabled === 'A' ? 'ALWAYS ' : ''}TRIGGER ${r.tgname}`);
      for (const tb of tables) await t.exec(`ALTER TABLE ${tb} FORCE ROW LEVEL SECURITY`);
      await t.exec(`RESET ROLE;`);
    }),
  );
  const status = (await a.client.get('/api/v1/audit/status')).json;
  assert.equal(status.verified, false, JSON.stringify(status));
  assert.match(status.reason, /entries were removed from the end/);
  const sign = await a.client.post('/api/v1/audit/checkpoints', {});
  assert.equal(sign.status, 409, sign.text);
  assert.equal(sign.json.code, 'audit_log_tampered');
  const ex = await a.client.get('/api/v1/audit/export');
  assert.equal(ex.status, 200, ex.text);
  const r = verifyExport(ex.json);
  assert.equal(r.ok, false, 'the export carries the pinned checkpoint, so audit verify fails');
  assert.ok(ex.json.checkpoints.every((n: string) => signedNote.parseCheckpoint(signedNote.parseNote(n).text).size !== base + 3), 'no checkpoint was signed over the shortened log');
});
