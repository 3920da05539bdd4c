/**
 * The server as a user runs it: `node packages/server/bin/parapet-server.js` in its own
 * process, checked with stock clients (openssl s_client) and real signals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, usingPostgres, type TestDatabase } from '@parapet/db/testing';

const BIN = fileURLToPath(new URL('../packages/server/bin/parapet-server.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  port: number;
  dataDir: string;
  logs: () => string;
  exited: Promise<number | null>;
}

async function launch(extraEnv: Record<string, string> = {}, tdb?: TestDatabase): Promise<Proc> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parapet-e2e-'));
  const env = {
    ...process.env,
    PARAPET_DATA_DIR: dataDir,
    PARAPET_PORT: '0',
    PARAPET_HOST: '127.0.0.1',
    DATABASE_URL: tdb?.urls?.app ?? '',
    DATABASE_ADMIN_URL: tdb?.urls?.admin ?? '',
    ...extraEnv,
  };
  const child = spawn(process.execPath, [BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"url":"https:\/\/localhost:(\d+)"/.exec(out);
      // The first-run hint is the last start-up line.
      if (m && out.includes('npx parapet init')) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`server exited ${code}: ${out}`));
    });
  });
  return { child, port, dataDir, logs: () => out, exited };
}

test('npm start path: HTTPS on PGlite or PostgreSQL, openssl -tls1_2 fails and -tls1_3 succeeds', async (t) => {
  const tdb = usingPostgres() ? await createTestDatabase() : undefined;
  const p = await launch({}, tdb);
  try {
    const logs = p.logs();
    if (!tdb) assert.match(logs, /EMBEDDED DATABASE \(PGlite\): for evaluation only/);
    assert.match(logs, /npx parapet init --org/);
    const startup = Number(/"startup_ms":(\d+)/.exec(logs)?.[1]);
    t.diagnostic(`startup_ms=${startup} engine=${tdb ? 'postgres' : 'pglite'}`);
    assert.ok(existsSync(join(p.dataDir, 'tls', 'server.crt')));
    if (spawnSync('openssl', ['version']).status !== 0) return t.skip('openssl not installed');
    const sc = (flag: string) => spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${p.port}`, flag, '-servername', 'localhost'], { input: 'Q\n', timeout: 10_000 });
    const v12 = sc('-tls1_2');
    assert.notEqual(v12.status, 0, 'a TLS 1.2 handshake must fail');
    assert.match(v12.stdout.toString(), /Cipher is \(NONE\)/);
    assert.match(v12.stderr.toString(), /alert protocol version/);
    const v13 = sc('-tls1_3');
    assert.equal(v13.status, 0, v13.stderr.toString());
    assert.match(v13.stdout.toString(), /TLSv1\.3/);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    await rm(p.dataDir, { recursive: true, force: true });
    await tdb?.close();
  }
});

test('SIGTERM drains an in-flight request, then exits 0', async () => {
  const p = await launch();
  try {
    const ca = await readFile(join(p.dataDir, 'tls', 'server.crt'), 'utf8');
    const sock = connect({ host: '127.0.0.1', port: p.port, ca, servername: 'localhost' });
    await new Promise<void>((r) => sock.once('secureConnect', () => r()));
    const body = JSON.stringify({ name: 'x', admin_email: 'a@b.c', admin_password: 'correct horse battery' });
    // Headers and half the body: the request is in flight when the signal arrives.
    sock.write(`POST /api/v1/bootstrap/organisations HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    let response = '';
    sock.on('data', (d) => (response += d));
    await new Promise((r) => setTimeout(r, 200));
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    sock.write(body.slice(10));
    const code = await p.exited;
    assert.match(response, /^HTTP\/1\.1 401 /, 'the in-flight request got its answer');
    assert.match(response, /bootstrap_token_invalid/);
    assert.equal(code, 0, p.logs());
    assert.match(p.logs(), /received SIGTERM, draining/);
    assert.ok(!existsSync(join(p.dataDir, 'server.json')), 'server.json is removed on clean exit');
  } finally {
    p.child.kill('SIGKILL');
    await rm(p.dataDir, { recursive: true, force: true });
  }
});

test('on PostgreSQL the server refuses to start as a superuser and says why', { skip: usingPostgres() ? false : 'needs PostgreSQL' }, async () => {
  const tdb = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'parapet-e2e-'));
  try {
    const r = spawnSync(process.execPath, [BIN], {
      env: { ...process.env, PARAPET_DATA_DIR: dataDir, PARAPET_PORT: '0', DATABASE_URL: tdb.urls!.admin, DATABASE_ADMIN_URL: '' },
      timeout: 60_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /^Refusing to start: role postgres is a superuser, which bypasses row-level security/m);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await tdb.close();
  }
});

test('a bad configuration exits 1 with one sentence', () => {
  const r = spawnSync(process.execPath, [BIN], { env: { ...process.env, PARAPET_PORT: 'http', DATABASE_URL: '' }, timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.toString().trim(), 'PARAPET_PORT must be a port number (0-65535), got "http".');
});
