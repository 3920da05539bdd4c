/**
 * Key rotation end to end through the real `parapet` binary: rotate -> rewrap -> retire, then
 * every kind of sealed value still opens under the key file that is left (TOTP secrets, SSO
 * client secrets, audit log signing keys, WORM vault objects). A writer that has not picked
 * up the new key seals under the old one meanwhile, and `keys retire` must refuse until those
 * are re-wrapped too. Runs on PGlite, and on PostgreSQL with DATABASE_URL set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, usingPostgres, type TestDatabase } from '@parapet/db/testing';
import { PgliteDatabase, type Database } from '@parapet/db';
import { envelope } from '@parapet/core';
import { dataPaths, issueCheckpoint, loadKeyFile } from '@parapet/server';
import { createTenant, createUser } from '@parapet/server/testing';
import { recordAudit } from '@parapet/server/platform/audit';
import { beginTotpEnrolment, verifyUserTotp, totpCode } from '@parapet/server/auth/totp';
import { snapshotAuditLog } from '@parapet/server/audit/snapshot';
import { putSealed } from '@parapet/server/vault/sealed';
import { FsVault } from '@parapet/server/vault/fs';
import { openVaultObject } from '@parapet/server/platform/sealed';
import { runCli as run } from './run-cli.js';

let dir: string;
let t: TestDatabase | undefined;
let db: Database;
let env: Record<string, string>;

async function openDb() {
  if (usingPostgres()) return;
  const p = await PgliteDatabase.open(join(dir, 'pglite'));
  await p.migrate();
  db = p;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-keys-'));
  if (usingPostgres()) {
    t = await createTestDatabase();
    db = t.db;
    env = { PARAPET_DATA_DIR: dir, DATABASE_URL: t.urls!.app, DATABASE_ADMIN_URL: t.urls!.admin, PARAPET_VAULT: 'fs' };
  } else {
    await openDb();
    env = { PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '', PARAPET_VAULT: 'fs' };
  }
});
after(async () => {
  await (t ? t.close() : db.close());
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI with the embedded database closed (PGlite is single-process). */
async function cli(args: string[]) {
  if (!usingPostgres()) await db.close();
  try {
    return await run(args, env);
  } finally {
    await openDb();
  }
}

const ssoRecord = (tenantId: string) => `sso_configs:${tenantId}:client_secret`;

test('rotate -> rewrap -> retire: every TOTP secret, SSO client secret, audit log key and vault object still opens', async () => {
  const oldRing = await loadKeyFile(dataPaths(dir).keyFile);
  const oldKey = oldRing.activeKeyId();
  const vault = new FsVault(join(dir, 'vault'));
  const tenants: Array<{ id: string; userId: string; totp: string }> = [];
  for (const slug of ['keys-a', 'keys-b']) {
    const id = await createTenant(db, slug);
    const { userId } = await createUser(db, id, { roles: ['admin'] });
    const totp = await db.tx({ tenantId: id }, (q) => beginTotpEnrolment(q, oldRing, id, userId));
    await db.tx({ tenantId: id }, async (q) =>
      q.query(`INSERT INTO sso_configs (tenant_id, preset, issuer, client_id, client_secret_sealed) VALUES ($1, 'generic', 'https://idp.example.test', 'client', $2)`, [
        id, await envelope.seal(oldRing, `secret-${slug}`, { tenantId: id, record: ssoRecord(id) }),
      ]),
    );
    await db.tx({ tenantId: id }, (q) => recordAudit(q, id, { type: 'system', id: 'test' }, { action: 'tenant.created', outcome: 'success', details: { slug: 'test', name: 'test' } }));
    await issueCheckpoint(db, oldRing, id); // creates the tenant's log signing key
    assert.ok(await snapshotAuditLog(db, oldRing, vault, id, new Date()), 'a snapshot was written to the vault');
    tenants.push({ id, userId, totp });
  }

  const rotated = await cli(['keys', 'rotate', '--json']);
  assert.equal(rotated.code, 0, rotated.err);
  const r = JSON.parse(rotated.out) as { active_key: string; rewrapped: number; byKey: Record<string, number> };
  // Per tenant: one TOTP secret, one SSO secret, one log key, one vault snapshot object.
  assert.equal(r.rewrapped, 8, rotated.out);
  assert.deepEqual(Object.keys(r.byKey), [r.active_key]);

  // A server that has not re-read the key file yet keeps sealing under the old key.
  const late = tenants[0]!;
  const { userId: lateUser } = await createUser(db, late.id, { roles: ['employee'] });
  const lateTotp = await db.tx({ tenantId: late.id }, (q) => beginTotpEnrolment(q, oldRing, late.id, lateUser));
  await putSealed(vault, oldRing, late.id, 'evidence/late.bin', Buffer.from('late evidence'), new Date(Date.now() + 86_400_000));

  const refused = await cli(['keys', 'retire', oldKey]);
  assert.notEqual(refused.code, 0, 'retire must refuse while values still name the key');
  assert.match(refused.err, /mfa_totp\.secret_sealed \(1\)/);
  assert.match(refused.err, /vault \(1\)/);

  const rewrap = await cli(['keys', 'rewrap', '--json']);
  assert.equal(rewrap.code, 0, rewrap.err);
  assert.equal((JSON.parse(rewrap.out) as { rewrapped: number }).rewrapped, 2);

  const retired = await cli(['keys', 'retire', oldKey, '--json']);
  assert.equal(retired.code, 0, retired.err);
  const ring = await loadKeyFile(dataPaths(dir).keyFile);
  assert.deepEqual(ring.keyIds(), [r.active_key], 'only the new key is left');

  const now = new Date();
  for (const x of [...tenants, { id: late.id, userId: lateUser, totp: lateTotp }]) {
    const code = await totpCode(x.totp, Math.floor(now.getTime() / 1000));
    assert.equal(await db.tx({ tenantId: x.id }, (q) => verifyUserTotp(q, ring, x.id, x.userId, code, now, false)), true, 'TOTP secret opens');
  }
  for (const x of tenants) {
    const row = await db.tx({ tenantId: x.id }, async (q) => (await q.query<{ client_secret_sealed: string }>(`SELECT client_secret_sealed FROM sso_configs`)).rows[0]!);
    assert.match((await envelope.open(ring, row.client_secret_sealed, { tenantId: x.id, record: ssoRecord(x.id) })).toString(), /^secret-keys-/);
    await db.tx({ tenantId: x.id }, (q) => recordAudit(q, x.id, { type: 'system', id: 'test' }, { action: 'tenant.created', outcome: 'success', details: { slug: 'test', name: 'test' } }));
    assert.ok(await issueCheckpoint(db, ring, x.id), 'the log signing key opens and signs');
    const objects = await vault.list(`tenants/${x.id}/`);
    assert.ok(objects.length >= 1);
    for (const key of objects) {
      // Checkpoint notes pinned by the audit log are public signed text, not sealed objects.
      if (key.includes('/audit/checkpoints/')) continue;
      const plain = await db.tx({ tenantId: x.id }, (q) => openVaultObject(q, vault, ring, x.id, key));
      assert.ok(plain.length > 0, `${key} opens`);
    }
  }
  // The vault objects themselves were never rewritten (WORM): their stored envelope still names
  // the retired key, so only the re-wrap kept in the database opens them.
  const first = (await vault.list(`tenants/${tenants[1]!.id}/`)).find((k) => !k.includes('/audit/checkpoints/'))!;
  const stored = (await vault.get(first)).toString('utf8');
  assert.equal(envelope.envelopeKeyId(stored), oldKey);
  await assert.rejects(envelope.open(ring, stored, { tenantId: tenants[1]!.id, record: `vault/${first}` }), /not available/);
});
