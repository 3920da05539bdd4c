/**
 * One server per data dir: `npm start` on a data dir a live server holds refuses with one
 * sentence before opening the embedded database; a lock left by a dead process is taken over;
 * the start-up hint names the data dir. Real processes, real signals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usingPostgres } from '@parapet/db/testing';

const BIN = fileURLToPath(new URL('../packages/server/bin/parapet-server.js', import.meta.url));

function start(dataDir: string): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null>; listening: Promise<void> } {
  const child = spawn(process.execPath, [BIN], {
    env: { ...process.env, PARAPET_DATA_DIR: dataDir, PARAPET_PORT: '0', PARAPET_HOST: '127.0.0.1', DATABASE_URL: '', DATABASE_ADMIN_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const listening = new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('npx parapet init')) {
        clearInterval(t);
        resolve();
      }
    }, 50);
    void exited.then((c) => {
      clearInterval(t);
      reject(new Error(`exited ${c}: ${out}${err}`));
    });
  });
  return { child, out: () => out, err: () => err, exited, listening };
}

test('a second server on the same data dir refuses with one sentence; a stale lock is taken over', { skip: usingPostgres() ? 'the lock guards the embedded database' : false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-lock-'));
  try {
    // A lock from a process that no longer exists does not block.
    await writeFile(join(dir, 'server.lock'), '2147483646\n');
    const first = start(dir);
    await first.listening;
    assert.ok(first.out().includes(`Data dir: ${dir}.`), 'the hint names the data dir');
    assert.ok(first.out().includes(`PARAPET_DATA_DIR=${dir} npx parapet init`), 'and the exact command for it');

    const second = start(dir);
    second.listening.catch(() => undefined); // it is meant not to listen
    assert.equal(await second.exited, 1);
    const lines = second.err().trim().split('\n');
    assert.equal(lines.length, 1, second.err());
    assert.match(lines[0]!, new RegExp(`^Another Parapet server \\(pid ${first.child.pid}\\) is already using the data dir ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}; stop it first`));
    assert.doesNotMatch(second.out(), /Parapet is listening/);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.equal(existsSync(join(dir, 'server.lock')), false, 'the lock is released on shutdown');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
