/**
 * Reports made before PDFs went to the WORM vault (bytes in `probe_reports.pdf`) are moved by
 * `moveReportPdfsToVault` (job `probe.report-pdfs`): checked against the signed statement,
 * sealed into the vault, read back, and only then cleared from the row; idempotent and
 * resumable; tampered bytes and a vault object that reads back wrong are left in place.
 * Real database (PGlite, and PostgreSQL with DATABASE_URL), real filesystem vault.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../src/testing.js';
import { finishedScan } from './probe-finished-scan.js';
import { FileKeyProvider } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';
import { dataDirVault } from '../src/platform/vault.js';
import { moveReportPdfsToVault, readReportPdf } from '../src/probe/report.js';
import { putSealed } from '../src/vault/sealed.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('pre-vault report PDFs move into the vault: verified, sealed, read back, column cleared; idempotent, resumable; tampered ones stay', async () => {
  const keys = await FileKeyProvider.open(dataPaths(s.dataDir).keyFile);
  const live = dataDirVault(s.dataDir);
  const a = await finishedScan(s);
  const tenantId = a.tenantId;
  const b = await finishedScan(s, { tenantId });
  const c = await finishedScan(s, { tenantId });
  const pdfs = new Map<string, Buffer>();
  for (const x of [a, b, c]) {
    assert.equal((await x.op.client.get(`/api/v1/probe/scans/${x.scanId}/report`)).status, 200);
    pdfs.set(x.scanId, await s.db.tx({ tenantId }, (q) => readReportPdf(q, live, keys, tenantId, x.scanId)));
  }
  // Put the rows in their pre-0461 form (bytes in the row) and move them into an empty vault.
  const legacy = (scanId: string, bytes: Buffer, digest = sha(bytes)) =>
    s.asAdmin((q) => q.query(`UPDATE probe_reports SET pdf = $3, pdf_object_key = NULL, pdf_sha256 = $4 WHERE tenant_id = $1 AND scan_id = $2`, [tenantId, scanId, bytes, digest]));
  const vaultDir = mkdtempSync(join(tmpdir(), 'pdf-move-'));
  const vault = dataDirVault(vaultDir);
  const pa = pdfs.get(a.scanId)!;
  const pb = pdfs.get(b.scanId)!;
  const pc = pdfs.get(c.scanId)!;
  await legacy(a.scanId, pa);
  // b: altered bytes with a matching row digest: only the signed statement catches it.
  const altered = Buffer.from(pb);
  altered.writeUInt8(altered.readUInt8(altered.length - 10) ^ 1, altered.length - 10);
  await legacy(b.scanId, altered);
  // c: a vault object already at its key that reads back as other bytes.
  await legacy(c.scanId, pc);
  await putSealed(vault, keys, tenantId, `probe/reports/${c.scanId}/${sha(pc)}.pdf`, pa, new Date(Date.now() + 86400_000));

  const row = (scanId: string) => s.asAdmin(async (q) => (await q.query<{ pdf: Buffer | null; pdf_object_key: string | null; pdf_sha256: string }>(`SELECT pdf, pdf_object_key, pdf_sha256 FROM probe_reports WHERE tenant_id = $1 AND scan_id = $2`, [tenantId, scanId])).rows[0]!);
  const r1 = await moveReportPdfsToVault(s.db, keys, vault, tenantId);
  assert.equal(r1.moved, 1);
  const reasons = new Map(r1.failed.map((f) => [f.scanId, f.reason]));
  assert.deepEqual([...reasons.keys()].sort(), [b.scanId, c.scanId].sort());
  assert.match(reasons.get(b.scanId)!, /^The signed report does not vouch for the stored PDF: The PDF does not match the SHA-256/);
  assert.equal(reasons.get(c.scanId), 'The vault object read back differs from the signed PDF.');

  // a: in the vault, sealed (no PDF bytes on disk), readable through the normal path; row cleared.
  const ra = await row(a.scanId);
  assert.equal(ra.pdf, null);
  assert.equal(ra.pdf_object_key, `probe/reports/${a.scanId}/${sha(pa)}.pdf`);
  assert.ok((await s.db.tx({ tenantId }, (q) => readReportPdf(q, vault, keys, tenantId, a.scanId))).equals(pa));
  const onDisk = readFileSync(join(vaultDir, 'vault', 'tenants', tenantId, ra.pdf_object_key!));
  assert.ok(!onDisk.includes('%PDF'), 'sealed, not plaintext');
  // b and c keep their bytes.
  assert.ok((await row(b.scanId)).pdf!.equals(altered));
  assert.ok((await row(c.scanId)).pdf!.equals(pc));
  const audited = await s.asAdmin(async (q) => (await q.query<{ target_id: string }>(`SELECT target_id FROM audit_log WHERE tenant_id = $1 AND action = 'probe.report_pdf.moved'`, [tenantId])).rows.map((x) => x.target_id));
  assert.deepEqual(audited, [a.scanId]);

  // Idempotent: a second pass moves nothing more and fails the same two.
  const r2 = await moveReportPdfsToVault(s.db, keys, vault, tenantId);
  assert.equal(r2.moved, 0);
  assert.equal(r2.failed.length, 2);

  // Resumable: b repaired; its object is already in the vault (a pass that wrote it and died
  // before its commit): the next pass verifies that object and finishes the move.
  await legacy(b.scanId, pb);
  await putSealed(vault, keys, tenantId, `probe/reports/${b.scanId}/${sha(pb)}.pdf`, pb, new Date(Date.now() + 86400_000));
  const r3 = await moveReportPdfsToVault(s.db, keys, vault, tenantId);
  assert.equal(r3.moved, 1);
  assert.deepEqual(r3.failed.map((f) => f.scanId), [c.scanId]);
  assert.equal((await row(b.scanId)).pdf, null);
  assert.ok((await s.db.tx({ tenantId }, (q) => readReportPdf(q, vault, keys, tenantId, b.scanId))).equals(pb));

  // The app role may make that one move and no other change of a report row.
  await assert.rejects(s.db.tx({ tenantId }, (q) => q.query(`UPDATE probe_reports SET pdf_object_key = 'probe/reports/x.pdf' WHERE scan_id = $1`, [a.scanId])), /immutable except for moving the PDF/);
  await assert.rejects(s.db.tx({ tenantId }, (q) => q.query(`UPDATE probe_reports SET pdf = NULL, pdf_object_key = 'probe/reports/x.pdf', pdf_sha256 = $2 WHERE scan_id = $1`, [c.scanId, 'f'.repeat(64)])), /permission denied|immutable/);
  await assert.rejects(s.db.tx({ tenantId }, (q) => q.query(`UPDATE probe_reports SET verdict = 'pass' WHERE scan_id = $1`, [c.scanId])), /permission denied/);
});
