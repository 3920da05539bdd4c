/**
 * Evidence retention: transcripts past retain_until are deleted from the WORM vault and marked
 * purged (the SHA-256 stays), once, with one audit entry; the vault's own retention still wins;
 * a run stopped between the vault delete and the database update finishes on the next run; the
 * API answers 410 evidence_purged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../src/testing.js';
import { FsVault } from '../src/vault/fs.js';
import { tenantKey } from '../src/vault/sealed.js';
import { purgeExpiredEvidence } from '../src/probe/evidence-retention.js';
import { finishedScan } from './probe-finished-scan.js';

const DAY = 86_400_000;
let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

/** Evidence rows with real vault objects, retained until `retainUntil` in both places. */
async function evidence(tenantId: string, scanId: string, n: number, retainUntil: Date, vault: FsVault): Promise<Array<{ id: string; key: string }>> {
  const out: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < n; i++) {
    const body = randomBytes(64);
    const key = `scans/${scanId}/evidence/retention-${retainUntil.getTime()}-${i}.json`;
    await vault.put(tenantKey(tenantId, key), body, { retainUntil });
    const id = await s.asAdmin(async (a) => (await a.query<{ id: string }>(
      `INSERT INTO probe_evidence (tenant_id, scan_id, object_key, sha256, size_bytes, created_at, retain_until) VALUES ($1, $2, $3, $4, $5, now(), $6) RETURNING id`,
      [tenantId, scanId, key, createHash('sha256').update(body).digest('hex'), body.length, retainUntil],
    )).rows[0]!.id);
    out.push({ id, key });
  }
  return out;
}

test('evidence past retention is deleted from the vault and marked purged once, with one audit entry; the API says 410', async () => {
  const { tenantId, scanId, lead } = await finishedScan(s);
  let now = new Date();
  const vault = new FsVault(join(s.dataDir, 'vault'), () => now);
  const soon = await evidence(tenantId, scanId, 3, new Date(now.getTime() + 31 * DAY), vault);
  const later = await evidence(tenantId, scanId, 2, new Date(now.getTime() + 400 * DAY), vault);

  // Nothing is due yet: nothing deleted, nothing audited.
  assert.deepEqual(await purgeExpiredEvidence({ db: s.db, vault }, tenantId, now), { purged: 0, retained: 0 });
  const audited = async () => s.asAdmin(async (a) => (await a.query<{ details: { count: number; evidence_ids: string[] } }>(`SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'probe.evidence.purged' ORDER BY seq`, [tenantId])).rows);
  assert.equal((await audited()).length, 0);

  now = new Date(now.getTime() + 32 * DAY);
  assert.deepEqual(await purgeExpiredEvidence({ db: s.db, vault }, tenantId, now), { purged: 3, retained: 0 });
  for (const e of soon) assert.equal(await vault.head(tenantKey(tenantId, e.key)), undefined, 'the object is gone');
  for (const e of later) assert.ok(await vault.head(tenantKey(tenantId, e.key)), 'objects still in retention stay');
  const rows = await s.asAdmin(async (a) => (await a.query<{ id: string; purged_at: Date | null; sha256: string }>(`SELECT id, purged_at, sha256 FROM probe_evidence WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, [...soon, ...later].map((e) => e.id)])).rows);
  assert.equal(rows.filter((r) => r.purged_at).length, 3);
  assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.sha256)), 'hashes stay on record');
  const entries = await audited();
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.details.count, 3);
  assert.deepEqual([...entries[0]!.details.evidence_ids].sort(), soon.map((e) => e.id).sort());

  // A second run finds nothing more to do.
  assert.deepEqual(await purgeExpiredEvidence({ db: s.db, vault }, tenantId, now), { purged: 0, retained: 0 });
  assert.equal((await audited()).length, 1);

  const gone = await lead.client.get(`/api/v1/probe/evidence/${soon[0]!.id}`);
  assert.equal(gone.status, 410, gone.text);
  assert.equal(gone.json.code, 'evidence_purged');
});

test("the WORM vault's own retention wins over the database's, and a run stopped after the vault delete finishes next time", async () => {
  const { tenantId, scanId } = await finishedScan(s);
  let now = new Date();
  const vault = new FsVault(join(s.dataDir, 'vault'), () => now);
  // The row says retention ended, the vault object says it has not: nothing may be deleted.
  const [held] = await evidence(tenantId, scanId, 1, new Date(now.getTime() + 400 * DAY), vault);
  await s.asAdmin((a) => a.query(`UPDATE probe_evidence SET retain_until = now() - interval '1 day' WHERE id = $1`, [held!.id]));
  await assert.rejects(purgeExpiredEvidence({ db: s.db, vault }, tenantId, now), /vault still retains them/);
  assert.ok(await vault.head(tenantKey(tenantId, held!.key)), 'the retained object is still there');
  assert.equal((await s.asAdmin((a) => a.query<{ purged_at: Date | null }>(`SELECT purged_at FROM probe_evidence WHERE id = $1`, [held!.id]))).rows[0]!.purged_at, null);
  await s.asAdmin((a) => a.query(`DELETE FROM probe_evidence WHERE id = $1`, [held!.id]));

  // Stopped between the vault delete and the row update: the next run only marks the row.
  const [half] = await evidence(tenantId, scanId, 1, new Date(now.getTime() + 31 * DAY), vault);
  now = new Date(now.getTime() + 32 * DAY);
  await vault.delete(tenantKey(tenantId, half!.key));
  assert.deepEqual(await purgeExpiredEvidence({ db: s.db, vault }, tenantId, now), { purged: 1, retained: 0 });

  // The app role can set purged_at only to a time at or after retention, and nothing else.
  const early = await s.db.tx({ tenantId }, (q) => q.query(`UPDATE probe_evidence SET purged_at = retain_until - interval '1 second' WHERE id = $1`, [half!.id])).then(() => 'updated', (e: Error) => e.message);
  assert.match(early, /probe_evidence_purged_after_retention/);
  const other = await s.db.tx({ tenantId }, (q) => q.query(`UPDATE probe_evidence SET sha256 = repeat('0', 64) WHERE id = $1`, [half!.id])).then(() => 'updated', (e: Error) => e.message);
  assert.match(other, /permission denied/);
});
