// The SQLCipher local store: no plaintext in the database or its WAL, a wrong key or a damaged
// file is one sentence and the file is left untouched, retention, the bounded queue, sealing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePulseBatch } from '@parapet/core';
import { FileKeyStore, kekFile } from '@parapet/device-client/keystore';
import { BATCH_SIZE, RETENTION_MS, Store, StoreError } from '../src/store.js';
import type { Interval } from '../src/heartbeat.js';

const root = mkdtempSync(join(tmpdir(), 'pulse-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 10, 30, 9, 0, 0);
const MARK = 'zq-distinctive-app-name';
const iv = (k: number, over: Partial<Interval> = {}): Interval => ({ id: randomUUID(), start: T0 + k * 10_000, end: T0 + k * 10_000 + 9_000, state: 'active', app: MARK, category: 'dev.terminal', domain: 'plaintext-marker.example', localCategory: 'my-secret-category', ...over });

test('neither the database nor its WAL holds plaintext, and the files are 0600', async () => {
  const dir = join(root, 'plain');
  const s = await Store.open({ dir, keyStore: 'file' });
  s.saveIntervals(Array.from({ length: 50 }, (_, k) => iv(k)), iv(51));
  s.setSetting('excluded', ['excluded-app-marker']);
  // Before a checkpoint the rows live in the WAL; check both files while it is there.
  assert.ok(existsSync(join(dir, 'pulse.db-wal')) && statSync(join(dir, 'pulse.db-wal')).size > 0, 'WAL in use');
  for (const f of ['pulse.db', 'pulse.db-wal']) {
    const bytes = readFileSync(join(dir, f));
    for (const m of [MARK, 'plaintext-marker', 'my-secret-category', 'excluded-app-marker', 'SQLite format 3', 'CREATE TABLE']) assert.equal(bytes.includes(m), false, `${m} in ${f}`);
  }
  s.checkpoint();
  assert.equal(readFileSync(join(dir, 'pulse.db')).includes(MARK), false);
  for (const f of ['pulse.db', 'pulse.db-wal', 'store.key', 'store-key.json']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  assert.match(s.keyStore.sentence, /encrypted file .*store\.key because the file key store was requested/);
  s.close();
  // Reopened with its key it reads back; a copied database alone is useless without the key file.
  const again = await Store.open({ dir, keyStore: 'file' });
  assert.equal(again.intervals(0, Infinity).length, 51);
  again.close();
});

test('a wrong key or a damaged file is one sentence and the file is left untouched; a missing key never makes a fresh store', async () => {
  const dir = join(root, 'wrong');
  const s = await Store.open({ dir, keyStore: 'file' });
  s.saveIntervals([iv(0)], null);
  s.close();
  const before = readFileSync(join(dir, 'pulse.db'));
  // Another key in the same key store (as if the credential store entry was replaced).
  const other = new FileKeyStore(join(root, 'other.key'), kekFile(join(root, 'other.kek')), 'file store requested');
  await other.save(Buffer.alloc(32, 7));
  await assert.rejects(Store.open({ dir, store: other }), (e: Error) => e instanceof StoreError && /^The local store .*pulse\.db cannot be opened with its key \(the key is wrong or the file is damaged\); it was left untouched\.$/.test(e.message));
  assert.deepEqual(readFileSync(join(dir, 'pulse.db')), before);
  // Damaged: one flipped byte in the first page.
  const bad = join(root, 'damaged');
  await Store.open({ dir: bad, keyStore: 'file' }).then((x) => (x.saveIntervals([iv(0)], null), x.checkpoint(), x.close()));
  const b = readFileSync(join(bad, 'pulse.db'));
  b[100] = b[100]! ^ 0xff;
  writeFileSync(join(bad, 'pulse.db'), b);
  await assert.rejects(Store.open({ dir: bad, keyStore: 'file' }), /cannot be opened with its key \(the key is wrong or the file is damaged\); it was left untouched\./);
  assert.deepEqual(readFileSync(join(bad, 'pulse.db')), b);
  // The key file gone while the database exists: refuse, do not start over.
  const gone = join(root, 'gone');
  mkdirSync(gone, { recursive: true });
  copyFileSync(join(dir, 'pulse.db'), join(gone, 'pulse.db'));
  await assert.rejects(Store.open({ dir: gone, keyStore: 'file' }), /exists but its key is missing from the key file; it was left untouched\./);
  // The key was in the OS store and that is not available now: refuse rather than switch.
  writeFileSync(join(gone, 'store-key.json'), '{"key_store":"os"}');
  await assert.rejects(Store.open({ dir: gone, store: other }), /key is in the OS credential store, which is not available now/);
});

test('sealing makes valid batches of at most BATCH_SIZE whose bytes stay the same; paused intervals carry no detail', async () => {
  const s = await Store.open({ dir: join(root, 'seal'), keyStore: 'file' });
  const n = BATCH_SIZE + 20;
  s.saveIntervals([...Array.from({ length: n - 1 }, (_, k) => iv(k)), iv(n, { state: 'paused', app: 'leak', category: 'leak', domain: 'leak.example' })], iv(n + 1));
  const a = s.sealBatch(T0 + 86_400_000)!;
  const b = s.sealBatch(T0 + 86_400_000)!;
  assert.equal(s.sealBatch(), undefined, 'the open interval is never sealed');
  const pa = parsePulseBatch(JSON.parse(a.body), new Date(T0 + 86_400_000));
  const pb = parsePulseBatch(JSON.parse(b.body), new Date(T0 + 86_400_000));
  assert.equal(pa.intervals.length, BATCH_SIZE);
  assert.equal(pb.intervals.length, 20);
  assert.deepEqual(Object.keys(pa.intervals[0]!), ['id', 'start', 'end', 'state', 'app', 'category', 'domain']);
  assert.doesNotMatch(a.body + b.body, /my-secret-category|leak/);
  assert.deepEqual(pb.intervals.at(-1), { ...pb.intervals.at(-1), state: 'paused', app: null, category: null, domain: null });
  assert.equal(JSON.stringify(JSON.parse(a.body)), a.body, 'the body survives the JSON round trip the client does');
  assert.deepEqual(s.pendingBatches().map((x) => [x.batchId, x.body]), [[a.batchId, a.body], [b.batchId, b.body]]);
  s.markAttempt(a.batchId, 'ECONNREFUSED');
  s.markSent(a.batchId, T0);
  s.markRejected(b.batchId, 'pulse_batch_invalid');
  assert.deepEqual(s.pendingBatches(), []);
  assert.deepEqual(s.rejectedBatches(), [{ batchId: b.batchId, rejected: 'pulse_batch_invalid' }]);
  s.close();
});

test('retention deletes only uploaded intervals older than 14 days; the queue bound drops the oldest unsent and counts them', async () => {
  const s = await Store.open({ dir: join(root, 'prune'), keyStore: 'file' });
  s.saveIntervals([iv(0), iv(1)], null);
  const sent = s.sealBatch()!;
  s.markSent(sent.batchId);
  s.saveIntervals([iv(2), iv(3), iv(4), iv(5)], null);
  assert.equal(s.prune(T0 + RETENTION_MS - 1, 10), 0);
  assert.equal(s.intervals(0, Infinity).length, 6);
  assert.equal(s.prune(T0 + RETENTION_MS + 60_000, 3), 1);
  const left = s.intervals(0, Infinity);
  assert.deepEqual(left.map((i) => (i.start - T0) / 10_000), [3, 4, 5], 'uploaded 0,1 expired; unsent 2 dropped as the oldest beyond the bound');
  assert.equal(s.counter('dropped'), 1);
  assert.deepEqual(s.pendingBatches(), []);
  s.close();
});

test('a machine enrolled again for another person deletes the previous person\'s intervals, sent or not; a late owner adopts an ownerless queue', async () => {
  const { reconcileOwner, OWNER_SETTING } = await import('../src/owner.js');
  const A = randomUUID();
  const B = randomUUID();
  const dir = join(root, 'owner');
  const s = await Store.open({ dir, keyStore: 'file' });
  // States written before servers returned the owner change nothing.
  assert.equal(reconcileOwner(s, undefined), undefined);
  assert.equal(s.getSetting(OWNER_SETTING), undefined);
  // Enrolled for nobody first (held as not personal), then the owner's token: the queue stays.
  assert.equal(reconcileOwner(s, null), undefined);
  s.saveIntervals(Array.from({ length: BATCH_SIZE + 10 }, (_, k) => iv(k)), null);
  assert.equal(reconcileOwner(s, A), undefined);
  assert.equal(s.waitingCount(), BATCH_SIZE + 10, 'the late owner takes the queue');
  // A's machine: one batch sent, one sealed and unsent, intervals not yet sealed, one open.
  s.setSetting('hours', { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });
  s.setSetting('local_rules', [{ category: 'my-secret-category', app: MARK }]);
  s.setSetting('policy', { version: 3 });
  const sent = s.sealBatch(T0)!;
  s.markSent(sent.batchId, T0);
  s.saveIntervals(Array.from({ length: 5 }, (_, k) => iv(BATCH_SIZE + 20 + k)), iv(BATCH_SIZE + 40));
  const unsent = s.sealBatch(T0)!;
  assert.equal(reconcileOwner(s, A), undefined, 'the same owner again: nothing happens');
  assert.equal(s.waitingCount(), 15);
  // Handed to B: everything of A's is gone, sent or not; only the open interval stays.
  const said = reconcileOwner(s, B);
  assert.equal(said, `This machine was enrolled again for another person, so the ${BATCH_SIZE + 15} intervals recorded for the previous one were deleted from it (15 never sent); none is uploaded as the new person's time. Their own controls (pause, working hours, excluded apps, categories) were cleared.`);
  assert.equal(s.getSetting('hours'), undefined);
  assert.equal(s.getSetting('local_rules'), undefined);
  assert.deepEqual(s.getSetting('policy'), { version: 3 }, "the organisation's policy stays");
  assert.equal(s.getSetting(OWNER_SETTING), B);
  assert.equal(s.waitingCount(), 0);
  assert.equal(s.sealBatch(T0), undefined, 'nothing left to send');
  assert.deepEqual(s.pendingBatches(), []);
  assert.equal(s.intervals(0, Number.MAX_SAFE_INTEGER).filter((i) => !i.open).length, 0, 'show has nothing of A to show B');
  assert.equal(s.intervals(0, Number.MAX_SAFE_INTEGER).length, 1, 'the interval being recorded stays');
  assert.equal(s.counter('handed_over'), 15);
  assert.ok(unsent.batchId);
  // B's machine enrolled for nobody: B's data does not go to an unknown person either.
  s.saveIntervals([iv(BATCH_SIZE + 50)], null);
  assert.match(reconcileOwner(s, null) ?? '', /the 1 interval recorded for the previous one was deleted from it \(1 never sent\)/);
  s.close();
});
