import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '@parapet/db';
import { createTestDatabase, usingPostgres } from '@parapet/db/testing';
import { runCli as run } from './run-cli.js';


test('parapet devices token create / list / revoke, audited as the CLI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-dev-'));
  const t = usingPostgres() ? await createTestDatabase() : undefined;
  const env: Record<string, string> = { PARAPET_DATA_DIR: dir, DATABASE_URL: t?.urls?.app ?? '', DATABASE_ADMIN_URL: t?.urls?.admin ?? '' };
  // PGlite is single-process: open it only between CLI runs.
  const withDb = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    if (t) return fn(t.db);
    const db = await openDatabase({ databaseUrl: undefined, databaseAdminUrl: undefined, dataDir: dir });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  try {
    await writeFile(join(dir, 'pw'), 'correct horse battery staple\n');
    const init = await run(['init', '--org', 'Devco', '--email', 'a@devco.example', '--password-file', join(dir, 'pw'), '--json'], env);
    assert.equal(init.code, 0, init.err);
    const tenantId = JSON.parse(init.out).tenant_id as string;

    const bad = await run(['devices', 'token', 'create', '--org', 'devco', '--kind', 'printer'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.err.trim(), 'Give --kind agent or --kind worker.');
    assert.equal((await run(['devices', 'list', '--org', 'nope'], env)).err.trim(), 'No organisation with slug "nope".');

    // An agent token names whose machine it is (Pulse takes uploads only from such an agent).
    assert.equal((await run(['devices', 'token', 'create', '--org', 'devco', '--kind', 'agent'], env)).err.trim(), 'Name whose machine the agent is with --owner EMAIL (Pulse accepts uploads only from an agent enrolled to its owner).');
    assert.equal((await run(['devices', 'token', 'create', '--org', 'devco', '--kind', 'worker', '--owner', 'a@devco.example'], env)).err.trim(), 'A worker belongs to no person; --owner is for agent tokens.');
    const nobody = await run(['devices', 'token', 'create', '--org', 'devco', '--kind', 'agent', '--owner', 'nobody@devco.example'], env);
    assert.deepEqual([nobody.code, nobody.err.trim()], [1, 'No active person with the email nobody@devco.example in this organisation.']);
    const personal = await run(['devices', 'token', 'create', '--org', 'devco', '--kind', 'agent', '--owner', 'A@devco.example', '--json'], env);
    assert.equal(personal.code, 0, personal.err);
    const ownerOf = await withDb((db) => db.tx({ tenantId }, async (q) => (await q.query<{ email: string }>(
      `SELECT u.email FROM device_enrollment_tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.owner_user_id WHERE t.id = $1`, [JSON.parse(personal.out).id])).rows[0]?.email));
    assert.equal(ownerOf, 'a@devco.example');
    const ownerAudit = await withDb((db) => db.tx({ tenantId }, async (q) => (await q.query<{ details: { owner_user_id: string | null } }>(`SELECT details FROM audit_log WHERE action = 'device.token.created' ORDER BY seq DESC LIMIT 1`)).rows[0]?.details));
    assert.match(ownerAudit?.owner_user_id ?? '', /^[0-9a-f-]{36}$/);

    const made = await run(['devices', 'token', 'create', '--org', 'devco', '--kind', 'worker', '--expires', '30m', '--json'], env);
    assert.equal(made.code, 0, made.err);
    const tok = JSON.parse(made.out);
    assert.match(tok.token, new RegExp(`^pet_${tenantId}_[A-Za-z0-9_-]{43}$`));
    const ttl = (Date.parse(tok.expires_at) - Date.now()) / 1000;
    assert.ok(ttl > 1700 && ttl <= 1800, String(ttl));

    // A device enrolled with that token (inserted directly; enrollment itself is tested in the server).
    const deviceId = await withDb(async (db) =>
      db.tx({ tenantId }, async (q) => {
        const { rows } = await q.query<{ id: string }>(`SELECT id FROM device_enrollment_tokens WHERE token_hash = $1`, [createHash('sha256').update(tok.token.split('_').slice(2).join('_')).digest()]);
        const raw = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
        const d = await q.query<{ id: string }>(`INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id, key_store) VALUES ($1, 'worker', 'scanner-1', $2, $3, 'os') RETURNING id`, [tenantId, raw, rows[0]!.id]);
        return d.rows[0]!.id;
      }),
    );

    const list = await run(['devices', 'list', '--org', 'devco', '--json'], env);
    assert.equal(list.code, 0, list.err);
    assert.deepEqual(JSON.parse(list.out).devices.map((d: { id: string; status: string }) => [d.id, d.status]), [[deviceId, 'active']]);

    const rv = await run(['devices', 'revoke', deviceId, '--org', 'devco'], env);
    assert.equal(rv.code, 0, rv.err);
    assert.match(rv.out, /Revoked device .* \(scanner-1\)\./);
    assert.match((await run(['devices', 'list', '--org', 'devco'], env)).out, /revoked/);
    assert.equal((await run(['devices', 'revoke', '00000000-0000-4000-8000-000000000000', '--org', 'devco'], env)).code, 1);

    const audit = await withDb((db) => db.tx({ tenantId }, async (q) => (await q.query<{ action: string; actor_type: string; actor_id: string; outcome: string }>(`SELECT action, actor_type, actor_id, outcome FROM audit_log WHERE action LIKE 'device.%' ORDER BY seq`)).rows));
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor_type, a.actor_id, a.outcome]),
      [
        ['device.token.created', 'system', 'cli', 'success'],
        ['device.token.created', 'system', 'cli', 'success'],
        ['device.listed', 'system', 'cli', 'success'],
        ['device.revoked', 'system', 'cli', 'success'],
        ['device.listed', 'system', 'cli', 'success'],
        ['device.revoked', 'system', 'cli', 'failure'],
      ],
    );
    // The entries went through the server's writer: chained (each prev_hash is the previous
    // entry_hash, no gaps), named after the OS user, and the offline verifier accepts the log.
    const chain = await withDb((db) => db.tx({ tenantId }, async (q) => (await q.query<{ seq: string; prev_hash: Buffer; entry_hash: Buffer; actor_name: string | null; action: string }>(`SELECT seq, prev_hash, entry_hash, actor_name, action FROM audit_log ORDER BY seq`)).rows));
    chain.forEach((r, i) => {
      assert.equal(Number(r.seq), i + 1);
      if (i > 0) assert.ok(Buffer.from(r.prev_hash).equals(Buffer.from(chain[i - 1]!.entry_hash)), `entry ${r.seq} chains to ${chain[i - 1]!.seq}`);
    });
    assert.ok(chain.filter((r) => r.action.startsWith('device.')).every((r) => /^parapet CLI \(.+\)$/.test(r.actor_name ?? '')), 'device entries name the OS user');
    const exported = await run(['audit', 'export', '--tenant', 'devco', '--out', join(dir, 'audit.json')], env);
    assert.equal(exported.code, 0, exported.err);
    const verified = await run(['audit', 'verify', join(dir, 'audit.json'), '--json'], env);
    assert.equal(verified.code, 0, verified.out + verified.err);
    assert.equal(JSON.parse(verified.out).ok, true);
  } finally {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the CLI writes no audit rows itself: no source imports the audit writer or names an audit table in SQL', () => {
  const src = fileURLToPath(new URL('../src', import.meta.url));
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 10, files.join(','));
  for (const f of files) {
    const text = readFileSync(join(src, f), 'utf8');
    assert.doesNotMatch(text, /audit\/(record|sequencer)/, `${f} imports the audit writer`);
    assert.doesNotMatch(text, /\brecordAudit\b/, `${f} calls recordAudit`);
    assert.doesNotMatch(text, /(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+audit_/i, `${f} writes an audit table`);
  }
});

test('with the embedded database in use by a running server, devices commands point to the console page and leave the database alone', { skip: usingPostgres() ? 'the refusal is for the embedded engine only' : false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-dev-busy-'));
  try {
    // server.json as the server writes it; this test process stands in for the live server pid.
    await writeFile(join(dir, 'server.json'), JSON.stringify({ pid: process.pid, url: 'https://localhost:8443', spkiSha256: 'x', engine: 'pglite' }) + '\n');
    const env = { PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' };
    for (const args of [['devices', 'token', 'create', '--org', 'devco', '--kind', 'agent', '--owner', 'a@devco.example'], ['devices', 'list', '--org', 'devco']]) {
      const r = await run(args, env);
      assert.equal(r.code, 1, r.out);
      assert.equal(r.err.trim(), "The embedded database is in use by the running server; create tokens and manage devices on the console's Devices page (https://localhost:8443/devices) or stop the server.");
    }
    assert.deepEqual(readdirSync(dir), ['server.json'], 'no database was opened');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
