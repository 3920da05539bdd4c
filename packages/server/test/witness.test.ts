import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope, merkle, signedNote, verifyExport } from '@parapet/core';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';
import { createWitness, serveWitness } from '@parapet/witness';
import { loadKeyFile } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';
import { createSelfSigned } from '../src/tls/certificate.js';
import { issueCheckpoint } from '../src/audit/service.js';
import { sendToWitnesses, witnessRound } from '../src/audit/witness-client.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-witness-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function add(tenantId: string, n: number) {
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < n; i++) await recordAudit(q, tenantId, { type: 'system', id: 't' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: `filler ${i}` } });
  });
}

test('the daily job sends checkpoints to the tenant witness over TLS, which cosigns; the export and verify carry the cosignatures', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const vkey = (await a.client.get('/api/v1/audit/key')).json.verifier_key;
  const w = await createWitness({ dir: join(dir, 'w1'), name: 'witness.example', logs: [vkey] });
  const tls = await createSelfSigned(['witness.example']);
  const { server, url } = await serveWitness(w, { port: 0, host: '127.0.0.1', tls });
  assert.match(url, /^https:\/\//);
  const setWitness = (cfg: Record<string, string>) =>
    s.db.tx({ tenantId: a.tenantId }, (q) => q.query(`UPDATE tenants SET settings = $2 WHERE id = $1`, [a.tenantId, { audit_witnesses: [cfg] }]));
  try {
    await add(a.tenantId, 3);
    // Without the witness's certificate in the setting, its self-signed TLS is not trusted.
    await setWitness({ url, verifier_key: w.verifierKey });
    const cp = await issueCheckpoint(s.db, await loadKeyFile(dataPaths(s.dataDir).keyFile), a.tenantId);
    const [refused] = await sendToWitnesses(s.db, a.tenantId, cp);
    assert.equal(refused!.ok, false);
    assert.match(refused!.detail, /self[- ]signed|certificate/i);
    await setWitness({ url, verifier_key: w.verifierKey, ca: tls.cert });
    assert.equal((await a.client.post('/api/v1/audit/snapshots', {})).status, 201);
    await add(a.tenantId, 4);
    assert.equal((await a.client.post('/api/v1/audit/snapshots', {})).status, 201); // witness moves 3 -> 7 with a consistency proof
    const rows = await s.db.tx({ tenantId: a.tenantId }, async (q) => (await q.query<{ tree_size: number }>(`SELECT tree_size FROM audit_cosignatures ORDER BY tree_size`)).rows.map((r) => Number(r.tree_size)));
    assert.deepEqual(rows, [3, 7]);
    // The console's status: verified up to the checkpoint, with the witness that cosigned it.
    const st = (await a.client.get('/api/v1/audit/status')).json;
    assert.equal(st.verified, true, st.reason);
    assert.equal(st.latest_checkpoint.tree_size, 7);
    assert.deepEqual(st.witnesses, ['witness.example']);
    assert.equal(st.cosignatures, 2);
    const ex = (await a.client.get('/api/v1/audit/export')).json;
    const r = verifyExport(ex, { witnesses: [w.verifierKey], trustedKeys: [vkey] });
    assert.ok(r.ok, r.reason);
    assert.equal(r.cosignatures, 2);
    // A cosignature altered in the file is refused.
    const i = ex.checkpoints.findIndex((c: string) => c.includes('\u2014 witness.example '));
    const bad = { ...ex, checkpoints: ex.checkpoints.map((c: string, j: number) => (j === i ? c.replace(/(\u2014 witness\.example \S{20})(\S)/, (_m: string, p: string, ch: string) => p + (ch === 'A' ? 'B' : 'A')) : c)) };
    const rb = verifyExport(bad, { witnesses: [w.verifierKey] });
    assert.equal(rb.ok, false);
    assert.match(rb.reason!, /invalid cosignature by witness witness\.example/);
    // The short-schedule job: a newer checkpoint goes out without waiting for the daily
    // snapshot; once the witness is current, a round sends nothing.
    await add(a.tenantId, 2);
    const later = await issueCheckpoint(s.db, await loadKeyFile(dataPaths(s.dataDir).keyFile), a.tenantId);
    const round = await witnessRound(s.db, [a.tenantId]);
    assert.deepEqual(round.get(a.tenantId)?.map((r) => r.ok), [true]);
    const sizes = await s.db.tx({ tenantId: a.tenantId }, async (q) => (await q.query<{ tree_size: number }>(`SELECT tree_size FROM audit_cosignatures ORDER BY tree_size`)).rows.map((r) => Number(r.tree_size)));
    assert.ok(sizes.at(-1)! >= later.treeSize, `${sizes} covers ${later.treeSize}`);
    const again = await witnessRound(s.db, [a.tenantId]);
    assert.ok([...again.values()].flat().every((r) => r.ok), 'a later round only ever cosigns newer checkpoints');
  } finally {
    server.close();
  }
});

test('the witness refuses a forked checkpoint even when it is validly signed by the log key', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  const vkey = (await a.client.get('/api/v1/audit/key')).json.verifier_key;
  const w = await createWitness({ dir: join(dir, 'w2'), name: 'witness2.example', logs: [vkey] });
  await add(a.tenantId, 5);
  const cp = (await a.client.post('/api/v1/audit/checkpoints', {})).json;
  const first = await w.handle(`old 0\n\n${cp.note}`);
  assert.equal(first.status, 200, first.body);
  assert.match(first.body, /^\u2014 witness2\.example \S+\n$/);
  // Replaying an old size: 409 with the size the witness holds.
  const stale = await w.handle(`old 0\n\n${cp.note}`);
  assert.equal(stale.status, 409);
  assert.equal(stale.body, '5\n');
  // The attacker (with the log's signing key) signs a different history of 6 entries.
  const keys = await loadKeyFile(dataPaths(s.dataDir).keyFile);
  const row = await s.db.tx({ tenantId: a.tenantId }, async (q) => (await q.query<{ key_id: string; private_sealed: string }>(`SELECT key_id, private_sealed FROM audit_log_keys`)).rows[0]!);
  const sk = createPrivateKey({ key: await envelope.open(keys, row.private_sealed, { tenantId: a.tenantId, record: `audit_log_key/${row.key_id}` }), format: 'der', type: 'pkcs8' });
  const forkHashes = Array.from({ length: 6 }, (_, i) => merkle.leafHash(Buffer.from(`fork${i}`)));
  const origin = signedNote.parseCheckpoint(signedNote.parseNote(cp.note).text).origin;
  const fork = signedNote.signNote(signedNote.checkpointText({ origin, size: 6, root: merkle.rootHash(forkHashes) }), origin, sk);
  const proof = merkle.consistencyProof(forkHashes, 5).map((p) => p.toString('base64') + '\n').join('');
  const r = await w.handle(`old 5\n${proof}\n${fork}`);
  assert.equal(r.status, 422);
  // Unknown logs and unsigned checkpoints are refused too.
  assert.equal((await w.handle(`old 0\n\n${cp.note.replace(/\n\n[\s\S]*$/, '\n\n\u2014 x AAAAAAAA\n')}`)).status, 403);
  // The state survives a restart: the witness still holds size 5.
  const again = await createWitness({ dir: join(dir, 'w2'), name: 'witness2.example', logs: [vkey] });
  assert.equal(again.verifierKey, w.verifierKey);
  assert.equal((await again.handle(`old 0\n\n${cp.note}`)).body, '5\n');
});
