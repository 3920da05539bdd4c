/**
 * `parapet db migrate` while a server runs, as an operator meets it: the real server
 * (`packages/server/bin/parapet-server.js`, what `npm start` runs) in its own process on a fresh
 * data dir, and the real CLI in another. On the embedded database the server holds the data
 * dir and migrates it at start: the CLI says so and exits 0 when nothing is left, and refuses
 * with one sentence (stop the server first) when something is. On PostgreSQL the CLI migrates
 * beside the running server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from '@parapet/db';
import { createTestDatabase, usingPostgres, type TestDatabase } from '@parapet/db/testing';
import { assertOneSentence, BIN, runCli } from './run-cli.js';

const SERVER = fileURLToPath(new URL('../../server/bin/parapet-server.js', import.meta.url));

interface Running {
  child: ChildProcess;
  dataDir: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** `npm start` on a new data dir (and the test database on PostgreSQL); resolves once it listens. */
async function startServer(tdb?: TestDatabase): Promise<Running> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parapet-cli-migrate-'));
  const env = { PARAPET_DATA_DIR: dataDir, DATABASE_URL: tdb?.urls?.app ?? '', DATABASE_ADMIN_URL: tdb?.urls?.admin ?? '' };
  const child = spawn(process.execPath, [SERVER], { env: { ...process.env, ...env, PARAPET_PORT: '0', PARAPET_HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('npx parapet init')) { // the last start-up line
        clearInterval(t);
        resolve();
      }
    }, 50);
    void exited.then((c) => {
      clearInterval(t);
      reject(new Error(`server exited ${c}: ${out}`));
    });
  });
  return {
    child,
    dataDir,
    env,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const versions = async () => (await loadMigrations()).map((m) => `${m.version}_${m.name}`);

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever happens. */
async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('embedded database held by a running server that migrated it at start: one sentence saying so, exit 0, the server still ready', { skip: usingPostgres() ? 'the embedded engine only' : false }, async () => {
  const s = await startServer();
  try {
    const pid = s.child.pid!;
    const all = await versions();
    const r = await runCli(['db', 'migrate'], s.env);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(r.out.trim(), `The running Parapet server (pid ${pid}) applied all ${all.length} migrations to the embedded database in ${s.dataDir} when it started; nothing to do.`);

    const j = await runCli(['db', 'migrate', '--json'], s.env);
    assert.equal(j.code, 0, j.err);
    assert.deepEqual(JSON.parse(j.out), { applied: [], alreadyApplied: all.length, serverPid: pid });

    const info = JSON.parse(await readFile(join(s.dataDir, 'server.json'), 'utf8')) as { url: string; migrations: string[] };
    assert.deepEqual(info.migrations, all, 'server.json names every migration the server applied');
    // The server still answers from its database, migrations current.
    const ready = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsGet(`${info.url}/readyz`, { ca: readFileSync(join(s.dataDir, 'tls', 'server.crt')) }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    assert.equal(ready.status, 200, ready.body);
    assert.equal(JSON.parse(ready.body).status, 'ready');
  } finally {
    await s.stop();
  }
});

test('embedded database held by a server that started before a migration existed: refuses with one sentence naming it and what to do, exit 1', { skip: usingPostgres() ? 'the embedded engine only' : false }, async () => {
  const s = await startServer();
  try {
    const pid = s.child.pid!;
    const all = await versions();
    // A server started from an older checkout: its server.json lacks the newest migration
    // that this checkout's CLI has (rewritten here, as adding a migration file to the
    // repository in a test would change every other test's schema).
    const path = join(s.dataDir, 'server.json');
    const info = JSON.parse(await readFile(path, 'utf8')) as { migrations: string[] };
    await writeFile(path, JSON.stringify({ ...info, migrations: all.slice(0, -1) }) + '\n');
    const r = await runCli(['db', 'migrate'], s.env);
    assert.equal(r.code, 1, r.out);
    assertOneSentence(r.err);
    assert.equal(
      r.err.trim(),
      `The running Parapet server (pid ${pid}) holds the embedded database in ${s.dataDir} and started before migration ${all.at(-1)} existed; stop the server first, then run "parapet db migrate" (or start the server again, which migrates).`,
    );
    assert.doesNotMatch(r.err, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  } finally {
    await s.stop();
  }
});

test('embedded data dir locked by a server that has not written server.json yet (still starting): refuses, exit 1, database not opened', { skip: usingPostgres() ? 'the embedded engine only' : false }, async () => {
  await inTempDir('parapet-cli-migrate-starting-', async (dir) => {
    // This test process stands in for a server between taking the lock and listening.
    await writeFile(join(dir, 'server.lock'), `${process.pid}\n`);
    const r = await runCli(['db', 'migrate'], { PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' });
    assert.equal(r.code, 1, r.out);
    assertOneSentence(r.err);
    assert.equal(r.err.trim(), `A Parapet server (pid ${process.pid}) holds the embedded database in ${dir} and has not said which migrations it applied (it may still be starting); wait for it to listen and run this again, or stop it first.`);
    assert.deepEqual(readdirSync(dir), ['server.lock'], 'no database was opened');
  });
});

test('no DATABASE_URL beside a server on PostgreSQL sharing the data dir: refuses to make an embedded database nobody reads, exit 1', { skip: usingPostgres() ? 'the embedded engine only' : false }, async () => {
  await inTempDir('parapet-cli-migrate-pg-', async (dir) => {
    // server.json as a PostgreSQL server writes it (no lock: replicas may share a data dir);
    // this test process stands in for its pid.
    await writeFile(join(dir, 'server.json'), JSON.stringify({ pid: process.pid, url: 'https://localhost:8443', spkiSha256: 'x', engine: 'postgres' }) + '\n');
    const r = await runCli(['db', 'migrate'], { PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' });
    assert.equal(r.code, 1, r.out);
    assertOneSentence(r.err);
    assert.equal(r.err.trim(), `The Parapet server running on the data dir ${dir} (pid ${process.pid}) uses PostgreSQL; set DATABASE_URL and DATABASE_ADMIN_URL as it has them and run "parapet db migrate" again.`);
    assert.deepEqual(readdirSync(dir), ['server.json'], 'no embedded database was made');
  });
});

test('a crashed server\'s server.lock and server.json, with a dead pid or with the pid the CLI itself now has (a restarted container): stale, db migrate migrates, exit 0', { skip: usingPostgres() ? 'the embedded engine only' : false }, async () => {
  const dead = spawn(process.execPath, ['-e', '']);
  const deadPid = dead.pid!;
  await new Promise((r) => dead.on('exit', r));
  for (const pid of [String(deadPid), '$$']) {
    await inTempDir('parapet-cli-migrate-crashed-', async (dir) => {
      // The shell writes the files with the pid given ($$: its own), then execs the CLI, which keeps that pid.
      const info = `{"pid":${pid},"url":"https://localhost:8443","spkiSha256":"x","engine":"pglite","migrations":[]}`;
      const script = `printf '%s\\n' ${pid} > "$D/server.lock"; printf '%s\\n' "${info.replace(/"/g, '\\"')}" > "$D/server.json"; exec "$NODE" "$BIN" db migrate --json`;
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn('/bin/sh', ['-c', script], { env: { ...process.env, D: dir, NODE: process.execPath, BIN, PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => resolve({ code, out, err }));
      });
      assert.equal(r.code, 0, `pid ${pid}: ${r.err}`);
      // The CLI opened the database itself: no server's pid in the report.
      const report = JSON.parse(r.out) as { applied: string[]; alreadyApplied: number; serverPid?: number };
      assert.equal(report.serverPid, undefined, `pid ${pid}: ${r.out}`);
      assert.equal(report.applied.length + report.alreadyApplied, (await versions()).length);
      assert.ok(readdirSync(dir).length > 2, `pid ${pid}: the embedded database was made`);
    });
  }
});

test('embedded database with no server: db migrate opens it and reports it up to date', { skip: usingPostgres() ? 'the embedded engine only' : false }, async () => {
  await inTempDir('parapet-cli-migrate-idle-', async (dir) => {
    const env = { PARAPET_DATA_DIR: dir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' };
    const r = await runCli(['db', 'migrate', '--json'], env);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as { applied: string[]; alreadyApplied: number };
    assert.equal(report.applied.length + report.alreadyApplied, (await versions()).length);
  });
});

test('PostgreSQL with a running server: db migrate runs beside it and finds the database up to date', { skip: usingPostgres() ? false : 'needs DATABASE_URL and DATABASE_ADMIN_URL' }, async () => {
  const tdb = await createTestDatabase();
  const s = await startServer(tdb);
  try {
    const r = await runCli(['db', 'migrate'], s.env);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), `Database is up to date (${(await versions()).length} migrations).`);
  } finally {
    await s.stop();
    await tdb.close();
  }
});
