import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '@parapet/server/testing';
import { tenantBySlug, createSelfSigned, spkiSha256, dataPaths } from '@parapet/server';
import { ensureDataDir, writeServerInfo } from '@parapet/server/datadir';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, usingPostgres } from '@parapet/db/testing';
import { runCli as run, BIN } from './run-cli.js';


test('parapet init creates an organisation and its admin (direct database access)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-'));
  const t = usingPostgres() ? await createTestDatabase() : undefined;
  const env: Record<string, string> = { PARAPET_DATA_DIR: dir, DATABASE_URL: t?.urls?.app ?? '', DATABASE_ADMIN_URL: t?.urls?.admin ?? '' };
  try {
    await writeFile(join(dir, 'pw'), 'correct horse battery staple\n');
    const r = await run(['init', '--org', 'Acme Corp', '--email', 'Admin@Acme.example', '--password-file', join(dir, 'pw'), '--json'], env);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.slug, 'acme-corp');
    const again = await run(['init', '--org', 'Acme Corp', '--email', 'x@acme.example', '--password-file', join(dir, 'pw')], env);
    assert.equal(again.code, 1);
    assert.equal(again.err.trim(), 'An organisation with slug "acme-corp" already exists.');
    if (t) {
      const found = await tenantBySlug(t.db, 'acme-corp');
      assert.equal(found?.id, out.tenant_id);
      const admin = await t.db.tx({ tenantId: out.tenant_id }, (q) => q.query<{ email: string; roles: string[]; password_hash: string }>(`SELECT email, roles, password_hash FROM users`));
      assert.equal(admin.rows[0]!.email, 'admin@acme.example');
      assert.deepEqual(admin.rows[0]!.roles, ['admin']);
      assert.match(admin.rows[0]!.password_hash, /^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
      const audit = await t.db.tx({ tenantId: out.tenant_id }, (q) => q.query<{ action: string; actor_id: string }>(`SELECT action, actor_id FROM audit_log ORDER BY seq`));
      assert.deepEqual(audit.rows.map((r) => [r.action, r.actor_id]), [['tenant.created', 'init'], ['auth.user.created', 'init']]);
      // The log key and first checkpoint come with the organisation.
      const cps = await t.db.tx({ tenantId: out.tenant_id }, (q) => q.query<{ tree_size: string }>(`SELECT tree_size FROM audit_checkpoints`));
      assert.deepEqual(cps.rows.map((x) => Number(x.tree_size)), [2]);
    }
  } finally {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('parapet init goes through a running embedded server (PGlite is single-process)', { skip: usingPostgres() ? 'PGlite only' : false }, async () => {
  const s = await startTestServer();
  try {
    await writeFile(join(s.dataDir, 'pw'), 'correct horse battery staple');
    const r = await run(['init', '--org', 'Beta', '--email', 'a@beta.example', '--password-file', join(s.dataDir, 'pw')], { PARAPET_DATA_DIR: s.dataDir, DATABASE_URL: '' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Created organisation "Beta" \(slug beta/);
    // It says which data dir (and so which server and database) it worked on.
    assert.ok(r.out.includes(`running on the data dir ${s.dataDir}`), r.out);
    assert.ok(await tenantBySlug(s.db, 'beta'));
  } finally {
    await s.close();
  }
});

test('parapet init without a server names the data dir and database it wrote to', { skip: usingPostgres() ? 'PGlite only' : false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-'));
  try {
    await writeFile(join(dir, 'pw'), 'correct horse battery staple\n');
    const r = await run(['init', '--org', 'Gamma', '--email', 'a@gamma.example', '--password-file', join(dir, 'pw')], { PARAPET_DATA_DIR: dir, DATABASE_URL: '' });
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`embedded one in the data dir ${dir} (PARAPET_DATA_DIR)`), r.out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad input exits non-zero with one plain sentence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-'));
  try {
    const env = { PARAPET_DATA_DIR: dir, DATABASE_URL: '' };
    const missing = await run(['init', '--org', 'X', '--email', 'a@x.example', '--password-file', join(dir, 'nope')], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.err.trim().split('\n').length, 1);
    assert.match(missing.err, /^Cannot read the password file .*ENOENT\.$/m);
    await writeFile(join(dir, 'short'), 'short');
    const weak = await run(['init', '--org', 'X', '--email', 'a@x.example', '--password-file', join(dir, 'short')], env);
    assert.equal(weak.code, 1);
    assert.equal(weak.err.trim(), 'A password needs at least 12 characters.');
    const unknown = await run(['frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Unknown command "frobnicate"/);
    const badFlag = await run(['init', '--nope'], env);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.err, /Unknown option '--nope'/);
    const noTty = spawnSync(process.execPath, [BIN, 'init'], { env: { ...process.env, ...env }, input: '' });
    assert.equal(noTty.status, 1);
    assert.match(noTty.stderr.toString(), /Organisation name is required \(no terminal to ask on\)\./);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parapet keys rotate / retire: a new active key, the old one retired only when unused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-'));
  const t = usingPostgres() ? await createTestDatabase() : undefined;
  const env: Record<string, string> = { PARAPET_DATA_DIR: dir, DATABASE_URL: t?.urls?.app ?? '', DATABASE_ADMIN_URL: t?.urls?.admin ?? '' };
  try {
    const { loadKeyFile } = await import('@parapet/server');
    const first = (await loadKeyFile(join(dir, 'keys', 'kek.json'))).activeKeyId();
    const r = await run(['keys', 'rotate', '--json'], env);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.notEqual(out.active_key, first);
    const missing = await run(['keys', 'retire', 'k-nope'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.err.trim(), 'There is no key k-nope in the key file.');
    const active = await run(['keys', 'retire', out.active_key], env);
    assert.equal(active.code, 1);
    assert.match(active.err, /active key cannot be retired/);
    const ok = await run(['keys', 'retire', first], env);
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual((await loadKeyFile(join(dir, 'keys', 'kek.json'))).keyIds(), [out.active_key]);
  } finally {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * A local process holding the port the data dir recorded, with another key: `parapet init`
 * must check the pin on the TLS connection and close it without writing one byte of the
 * request (the bootstrap token and the admin password). The same server with the recorded
 * key does receive the request, so the byte count can tell the two apart.
 */
test('parapet init sends nothing to a server whose key is not the recorded pin', { skip: usingPostgres() ? 'PGlite only (the server path)' : false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-cli-'));
  const impostor = await createSelfSigned(['localhost']);
  const received: Buffer[] = [];
  const server = createTlsServer({ cert: impostor.cert, key: impostor.key, minVersion: 'TLSv1.3' }, (s) => {
    s.on('data', (d: Buffer) => {
      received.push(d);
      setTimeout(() => s.destroy(), 100); // it never answers: the client fails instead of waiting
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  try {
    await ensureDataDir(dir);
    await writeFile(dataPaths(dir).bootstrapToken, 'bootstrap-token-that-must-not-leak\n', { mode: 0o600 });
    await writeFile(join(dir, 'pw'), 'correct horse battery staple');
    const other = await createSelfSigned(['localhost']);
    const env = { PARAPET_DATA_DIR: dir, DATABASE_URL: '' };
    const args = ['init', '--org', 'Gamma', '--email', 'a@gamma.example', '--password-file', join(dir, 'pw')];

    await writeServerInfo(dir, { pid: process.pid, url: `https://127.0.0.1:${port}`, spkiSha256: spkiSha256(other.cert), engine: 'pglite' });
    const r = await run(args, env);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /key does not match the recorded pin\); nothing was sent/);
    await new Promise((ok) => setTimeout(ok, 200));
    assert.equal(Buffer.concat(received).length, 0, 'the impostor received request bytes');

    // Control: with the impostor's own key recorded, the same request does reach it.
    await writeServerInfo(dir, { pid: process.pid, url: `https://127.0.0.1:${port}`, spkiSha256: spkiSha256(impostor.cert), engine: 'pglite' });
    assert.equal((await run(args, env)).code, 1);
    assert.ok(Buffer.concat(received).toString().includes('Bearer bootstrap-token-that-must-not-leak'), 'with the matching pin the request is sent');
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
