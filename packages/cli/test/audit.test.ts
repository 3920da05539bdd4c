/**
 * Tamper classes against `parapet audit verify`. The attacker holds the database (owner or
 * superuser, triggers disabled) and, for the forked checkpoint, even the log's signing key;
 * each attack must be named by the verifier with the first bad entry and the reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, usingPostgres, type TestDatabase } from '@parapet/db/testing';
import { PgliteDatabase, type AdminSession, type Database } from '@parapet/db';
import { envelope, leafBytes, merkle, parseLeaf, signedNote, type AuditExport } from '@parapet/core';
import { dataPaths, exportLog, issueCheckpoint, loadKeyFile, logOrigin } from '@parapet/server';
import { createTenant } from '@parapet/server/testing';
import { recordAudit } from '@parapet/server/platform/audit';
import { runCli as run } from './run-cli.js';


let dir: string;
let t: TestDatabase | undefined;
let db: Database;
let asAdmin: <T>(fn: (s: AdminSession) => Promise<T>) => Promise<T>;
let env: Record<string, string>;
let keys: Awaited<ReturnType<typeof loadKeyFile>>;

async function openDb() {
  if (usingPostgres()) return;
  const p = await PgliteDatabase.open(join(dir, 'pglite'));
  await p.migrate();
  db = p;
  asAdmin = (fn) => fn(p.admin());
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-audit-'));
  keys = await loadKeyFile(dataPaths(dir).keyFile);
  if (usingPostgres()) {
    t = await createTestDatabase();
    db = t.db;
    asAdmin = (fn) => t!.asAdmin(fn);
    env = { PARAPET_DATA_DIR: dir, DATABASE_URL: t.urls!.app, DATABASE_ADMIN_URL: t.urls!.admin };
  } else {
    await openDb();
    env = { PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' };
  }
});
after(async () => {
  await (t ? t.close() : db.close());
  await rm(dir, { recursive: true, force: true });
});

/** A tenant with 8 entries and signed checkpoints at sizes 4 and 8. */
async function seededTenant(slug?: string): Promise<string> {
  const id = await createTenant(db, slug);
  for (let i = 1; i <= 8; i++) {
    await db.tx({ tenantId: id }, (q) => recordAudit(q, id, { type: 'user', id: `u${i}`, name: `user${i}@example.test`, ip: '192.0.2.1', userAgent: 'test' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: `filler ${i}` } }));
    if (i === 4 || i === 8) await issueCheckpoint(db, keys, id);
  }
  return id;
}

async function exportTo(tenantId: string, name: string): Promise<{ file: string; x: AuditExport; tamper?: string }> {
  const r = await exportLog(db, keys, tenantId, { type: 'system', id: 'test' });
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(r.export));
  return { file, x: r.export, ...(r.tamper ? { tamper: r.tamper } : {}) };
}

const verify = (file: string, ...more: string[]) => run(['audit', 'verify', file, ...more], env);

/** Runs SQL as the owner role with the append-only triggers disabled (and RLS relaxed). */
function asOwnerWithoutTriggers(fn: (s: AdminSession) => Promise<void>) {
  return asAdmin((s) =>
    s.transaction(async (x) => {
      await x.exec(`SET LOCAL ROLE parapet_owner;
        ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete; ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_check;
        ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;`);
      await fn(x);
      await x.exec(`ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete; ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_check;
        ALTER TABLE audit_log FORCE ROW LEVEL SECURITY; RESET ROLE;`);
    }),
  );
}

const REENABLE_LOG = ['audit_log_append_check', 'audit_log_no_update_delete', 'audit_log_no_truncate'].map((t) => `ALTER TABLE audit_log ENABLE ALWAYS TRIGGER ${t};`).join(' ');

type Row = { seq: number; leaf: Buffer; entry_hash: Buffer };
async function rowsOf(s: AdminSession, tenantId: string): Promise<Row[]> {
  return (await s.query<Row>(`SELECT seq, leaf, entry_hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq`, [tenantId])).rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** Rewrites entries from..to with new details and a recomputed, internally consistent chain. */
async function rewriteChain(s: AdminSession, tenantId: string, from: number, to: number, edit: (d: Record<string, unknown>) => Record<string, unknown>) {
  const rows = await rowsOf(s, tenantId);
  let prev = rows[from - 2]!.entry_hash;
  for (let seq = from; seq <= to; seq++) {
    const p = parseLeaf(rows[seq - 1]!.leaf);
    const record = seq === from ? { ...p.record, details: edit(p.record.details) } : p.record;
    const leaf = leafBytes(record, prev);
    const h = merkle.leafHash(leaf);
    await s.query(`UPDATE audit_log SET details = $3, leaf = $4, entry_hash = $5, prev_hash = $6 WHERE tenant_id = $1 AND seq = $2`, [tenantId, seq, JSON.stringify(record.details), leaf, h, prev]);
    prev = h;
  }
}

test('parapet audit export + verify: an untouched log verifies, pinned to its key', async () => {
  const id = await seededTenant('clean-org');
  let r;
  if (!usingPostgres()) await db.close(); // PGlite is single-process: the CLI opens it itself
  try {
    r = await run(['audit', 'export', '--tenant', 'clean-org', '--out', join(dir, 'clean.json'), '--json'], env);
  } finally {
    await openDb();
  }
  assert.equal(r.code, 0, r.err);
  const x = JSON.parse(await readFile(join(dir, 'clean.json'), 'utf8')) as AuditExport;
  assert.equal(x.tenant_id, id);
  assert.equal(x.entries.length, 9); // 8 + the export's own entry
  assert.equal(x.entries[8]!.record.action, 'audit.log.exported');
  assert.equal(x.checkpoints.length, 3);
  const ok = await verify(join(dir, 'clean.json'), '--key', x.log_keys[0]!);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^OK: 9 entries .* 3 checkpoint\(s\) verified under the given log key\./);
  // A key the log never used: no checkpoint carries its signature.
  const other = signedNote.verifierKey(logOrigin(id), Buffer.alloc(32, 9));
  const wrongKey = await verify(join(dir, 'clean.json'), '--key', other);
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.err, /has no valid signature by the log key/);
});

test('file edits: a deleted, swapped or inserted entry is named', async () => {
  const id = await seededTenant();
  const { x } = await exportTo(id, 'base.json');
  const cases: Array<[string, (e: AuditExport['entries']) => AuditExport['entries'], RegExp]> = [
    ['deleted', (e) => [...e.slice(0, 2), ...e.slice(3)], /^Entry 4: entry at position 3 has sequence number 4: an entry was deleted/],
    ['swapped', (e) => [...e.slice(0, 2), e[3]!, e[2]!, ...e.slice(4)], /^Entry 4: entry at position 3 has sequence number 4/],
    ['swapped-renumbered', (e) => [...e.slice(0, 2), { ...e[3]!, seq: 3 }, { ...e[2]!, seq: 4 }, ...e.slice(4)], /^Entry 3: leaf names sequence number 4: entries were swapped/],
    ['inserted', (e) => [...e.slice(0, 2), e[2]!, ...e.slice(2).map((y) => ({ ...y, seq: y.seq + 1 }))], /^Entry 4: leaf names sequence number 3/],
  ];
  for (const [name, edit, want] of cases) {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ ...x, entries: edit(x.entries) }));
    const r = await verify(file);
    assert.equal(r.code, 1, `${name}: ${r.out}`);
    assert.match(r.err.trim(), want, name);
  }
});

test('database edits by the owner with triggers disabled are named: deleted, swapped, inserted, edited entries', async () => {
  const del = await seededTenant();
  await asOwnerWithoutTriggers((s) => s.query(`DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3`, [del]).then(() => undefined));
  const swap = await seededTenant();
  await asOwnerWithoutTriggers(async (s) => {
    await s.query(`UPDATE audit_log SET seq = 100 WHERE tenant_id = $1 AND seq = 3`, [swap]);
    await s.query(`UPDATE audit_log SET seq = 3 WHERE tenant_id = $1 AND seq = 4`, [swap]);
    await s.query(`UPDATE audit_log SET seq = 4 WHERE tenant_id = $1 AND seq = 100`, [swap]);
  });
  const ins = await seededTenant();
  await asOwnerWithoutTriggers(async (s) => {
    const rows = await rowsOf(s, ins);
    await s.query(`UPDATE audit_log SET seq = seq + 1000 WHERE tenant_id = $1 AND seq >= 3`, [ins]);
    await s.query(`UPDATE audit_log SET seq = seq - 999 WHERE tenant_id = $1 AND seq >= 1000`, [ins]);
    // A forged entry 3 that chains correctly to entry 2.
    const forged = { ...parseLeaf(rows[2]!.leaf).record, details: { forged: true } };
    const leaf = leafBytes(forged, rows[1]!.entry_hash);
    await s.query(
      `INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, actor_name, ip, user_agent, action, outcome, details, prev_hash, entry_hash, leaf)
       SELECT tenant_id, 3, at, actor_type, actor_id, actor_name, ip, user_agent, action, outcome, $2, $3, $4, $5 FROM audit_log WHERE tenant_id = $1 AND seq = 4`,
      [ins, JSON.stringify(forged.details), rows[1]!.entry_hash, merkle.leafHash(leaf), leaf],
    );
  });
  const edit = await seededTenant();
  await asOwnerWithoutTriggers((s) => s.query(`UPDATE audit_log SET action = 'auth.session.closed' WHERE tenant_id = $1 AND seq = 5`, [edit]).then(() => undefined));

  // An edit of the columns alone leaves leaves and tree intact, so the server still signs;
  // the verifier compares columns with the leaf bytes.
  const cases: Array<[string, string, RegExp]> = [
    [del, 'db-deleted', /^Entry 4: entry at position 3 has sequence number 4: an entry was deleted/],
    [swap, 'db-swapped', /^Entry 3: leaf names sequence number 4: entries were swapped/],
    [ins, 'db-inserted', /^Entry 4: leaf names sequence number 3/],
    [edit, 'db-edited', /^Entry 5: stored columns differ from the signed leaf bytes/],
  ];
  for (const [tenant, name, want] of cases) {
    const e = await exportTo(tenant, `${name}.json`);
    if (name !== 'db-edited') assert.ok(e.tamper, `${name}: the server must refuse to sign a checkpoint over the altered log`);
    const r = await verify(e.file);
    assert.equal(r.code, 1, `${name}: ${r.out}`);
    assert.match(r.err.trim(), want, name);
  }
});

test('a superuser: refused under session_replication_role = replica; with triggers disabled, the chain names the edit', async () => {
  const id = await seededTenant();
  await assert.rejects(
    asAdmin((s) => s.transaction(async (x) => {
      await x.exec(`SET LOCAL session_replication_role = replica`);
      await x.query(`UPDATE audit_log SET details = '{"n":0}' WHERE tenant_id = $1 AND seq = 5`, [id]);
    })),
    /append-only/,
  );
  await asAdmin((s) => s.transaction(async (x) => {
    await x.exec(`SET LOCAL session_replication_role = replica; ALTER TABLE audit_log DISABLE TRIGGER USER`);
    await rewriteChain(x, id, 5, 5, () => ({ n: 0 })); // entry 5 rewritten consistently with itself only
    await x.exec(REENABLE_LOG);
  }));
  const e = await exportTo(id, 'su.json');
  const r = await verify(e.file);
  assert.equal(r.code, 1);
  assert.match(r.err.trim(), /^Entry 6: leaf does not chain to entry 5/);
});

test('a rewritten tail with a recomputed chain is caught by an earlier checkpoint, even one kept outside the database', async () => {
  const id = await seededTenant();
  const saved = await db.tx({ tenantId: id }, async (q) => (await q.query<{ note: string }>(`SELECT note FROM audit_checkpoints WHERE tree_size = 8`)).rows[0]!.note);
  await writeFile(join(dir, 'cp8.note'), saved);
  await asAdmin((s) => s.transaction(async (x) => {
    await x.exec(`ALTER TABLE audit_log DISABLE TRIGGER USER`);
    await rewriteChain(x, id, 5, 8, (d) => ({ ...d, n: 50 }));
    await x.exec(REENABLE_LOG);
  }));
  const a = await exportTo(id, 'tail.json');
  assert.match(a.tamper ?? '', /no longer match their signed checkpoint/);
  const r = await verify(a.file);
  assert.equal(r.code, 1);
  assert.match(r.err.trim(), /^Entry 8: checkpoint #2 \(size 8\) does not match the tree of entries 1\.\.8: history was rewritten/);

  // The attacker also deletes the checkpoint that betrays them: the export alone now looks
  // consistent, but the checkpoint the auditor kept (or a witness holds) still catches it.
  await asAdmin((s) => s.transaction(async (x) => {
    await x.exec(`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`);
    await x.query(`DELETE FROM audit_checkpoints WHERE tenant_id = $1 AND tree_size >= 8`, [id]);
    await x.exec(`ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_update_delete; ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_truncate`);
  }));
  const b = await exportTo(id, 'tail2.json');
  assert.equal((await verify(b.file)).code, 0, 'without outside evidence the rewrite is self-consistent');
  const caught = await verify(b.file, '--checkpoint', join(dir, 'cp8.note'));
  assert.equal(caught.code, 1);
  assert.match(caught.err.trim(), /^Entry 8: trusted checkpoint #1 \(size 8\) does not match the tree of entries 1\.\.8/);
});

test('a forked checkpoint (validly signed by the log key, different root) is refused', async () => {
  const id = await seededTenant();
  const { file, x } = await exportTo(id, 'fork-base.json');
  // The attacker even has the signing key: open it the way the server does.
  const row = await db.tx({ tenantId: id }, async (q) => (await q.query<{ key_id: string; private_sealed: string }>(`SELECT key_id, private_sealed FROM audit_log_keys`)).rows[0]!);
  const sk = createPrivateKey({ key: await envelope.open(keys, row.private_sealed, { tenantId: id, record: `audit_log_key/${row.key_id}` }), format: 'der', type: 'pkcs8' });
  const fork = signedNote.signNote(signedNote.checkpointText({ origin: logOrigin(id), size: 6, root: merkle.leafHash(Buffer.from('fork')) }), logOrigin(id), sk);
  await writeFile(join(dir, 'fork.note'), fork);
  const r = await verify(file, '--checkpoint', join(dir, 'fork.note'));
  assert.equal(r.code, 1);
  assert.match(r.err.trim(), /^Entry 6: trusted checkpoint #1 \(size 6\) does not match the tree of entries 1\.\.6: history was rewritten or the checkpoint is forked/);
  await writeFile(join(dir, 'fork-in-file.json'), JSON.stringify({ ...x, checkpoints: [...x.checkpoints, fork] }));
  const r2 = await verify(join(dir, 'fork-in-file.json'));
  assert.equal(r2.code, 1);
  assert.match(r2.err.trim(), /^Entry 6: checkpoint #\d \(size 6\) does not match/);
  // A checkpoint for more entries than the file holds: the tail was cut off.
  await writeFile(join(dir, 'cut.json'), JSON.stringify({ ...x, entries: x.entries.slice(0, 7) }));
  const r3 = await verify(join(dir, 'cut.json'));
  assert.equal(r3.code, 1);
  assert.match(r3.err.trim(), /covers 8 entries but the export has 7: entries were removed from the end/);
});
