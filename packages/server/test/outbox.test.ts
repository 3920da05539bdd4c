/**
 * The transactional outbox on a real database (PGlite, and PostgreSQL with DATABASE_URL):
 * a rolled-back transaction enqueues nothing; committed messages are delivered after commit,
 * at least once through consumer failures, with backoff on the injected clock, dead-lettered
 * after max_attempts and replayable; four concurrent drainers deliver each message exactly
 * once; RLS keeps each tenant's messages to itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { createTenant } from '../src/testing.js';
import { enqueueOutbox, listOutbox, Outbox, outboxBackoffMs, outboxFor, OutboxError, replayOutbox, type OutboxMessage } from '../src/platform/outbox.js';
import { JobRunner } from '../src/platform/jobs.js';
import { defineOutboxJob } from '../src/platform/outbox.js';

let t: TestDatabase;
let a: string;
let b: string;
let clock = new Date('2026-06-01T12:00:00Z');
before(async () => {
  t = await createTestDatabase();
  a = await createTenant(t.db);
  b = await createTenant(t.db);
  outboxFor(t.db).now = () => clock;
});
after(() => t.close());

test('a rolled-back transaction enqueues nothing; a committed one is delivered after commit', async () => {
  const got: OutboxMessage[] = [];
  outboxFor(t.db).consume('test.commit', async (m) => void got.push(m));
  await assert.rejects(
    t.db.tx({ tenantId: a }, async (q) => {
      await enqueueOutbox(q, a, 'test.commit', { n: 'rolled back' });
      throw new Error('business rule failed');
    }),
    /business rule failed/,
  );
  const id = await t.db.tx({ tenantId: a }, (q) => enqueueOutbox(q, a, 'test.commit', { n: 'committed' }));
  assert.ok(id);
  await t.db.tx({}, async () => undefined); // the settled view waits for post-commit work
  assert.deepEqual(got.map((m) => [m.id, m.tenantId, m.topic, m.payload]), [[id, a, 'test.commit', { n: 'committed' }]]);
  const rows = await t.db.tx({ tenantId: a }, (q) => listOutbox(q, { topic: 'test.commit' }));
  assert.deepEqual(rows.map((r) => [r.id, r.state]), [[id, 'delivered']]);
  assert.deepEqual(await t.db.tx({ tenantId: b }, (q) => listOutbox(q, { topic: 'test.commit' })), [], 'another tenant sees none of it');
  // dedupe: one message per (tenant, topic, key)
  const k1 = await t.db.tx({ tenantId: a }, (q) => enqueueOutbox(q, a, 'test.commit', { n: 1 }, { dedupeKey: 'k' }));
  const k2 = await t.db.tx({ tenantId: a }, (q) => enqueueOutbox(q, a, 'test.commit', { n: 2 }, { dedupeKey: 'k' }));
  assert.ok(k1);
  assert.equal(k2, undefined);
  await t.db.tx({}, async () => undefined);
  assert.equal(got.filter((m) => (m.payload as { n: unknown }).n === 2).length, 0);
  await assert.rejects(t.db.tx({ tenantId: a }, (q) => enqueueOutbox(q, a, 'Bad Topic', {})), OutboxError);
});

test('at least once: failures are retried with backoff on the clock, then dead-lettered, and replay delivers again', async () => {
  const ob = outboxFor(t.db);
  const attempts = new Map<string, number>();
  let failUntil = 3;
  ob.consume('test.flaky', async (m) => {
    attempts.set(m.id, (attempts.get(m.id) ?? 0) + 1);
    if (m.attempts < failUntil) throw new Error(`endpoint down (${m.attempts})`);
  });
  const id = (await t.db.tx({ tenantId: a }, (q) => enqueueOutbox(q, a, 'test.flaky', { x: 1 }, { maxAttempts: 5 })))!;
  const dead = (await t.db.tx({ tenantId: b }, (q) => enqueueOutbox(q, b, 'test.flaky', { x: 2 }, { maxAttempts: 2 })))!;
  await t.db.tx({}, async () => undefined);
  assert.equal(attempts.get(id), 1);
  const row = async (tenant: string, mid: string) => (await t.db.tx({ tenantId: tenant }, (q) => listOutbox(q, { topic: 'test.flaky' }))).find((r) => r.id === mid)!;
  let r = await row(a, id);
  assert.equal(r.state, 'pending');
  assert.equal(r.nextAttemptAt?.getTime(), clock.getTime() + outboxBackoffMs(1));
  assert.match(r.lastError!, /endpoint down \(0\)/);
  await ob.drainAll();
  assert.equal(attempts.get(id), 1, 'not before next_attempt_at');
  for (const n of [1, 2, 3]) {
    clock = new Date(clock.getTime() + outboxBackoffMs(n));
    await ob.drainAll();
  }
  assert.equal(attempts.get(id), 4, 'three failures, then delivered');
  assert.equal((await row(a, id)).state, 'delivered');
  r = await row(b, dead);
  assert.equal(r.state, 'dead');
  assert.equal(r.attempts, 2);
  clock = new Date(clock.getTime() + 86_400_000);
  await ob.drainAll();
  assert.equal(attempts.get(dead), 2, 'a dead letter is not retried');
  failUntil = 0;
  assert.deepEqual(await t.db.tx({ tenantId: b }, (q) => replayOutbox(q, b, { now: clock })), [dead]);
  await t.db.tx({}, async () => undefined);
  assert.equal(attempts.get(dead), 3);
  assert.equal((await row(b, dead)).state, 'delivered');
  assert.deepEqual(await t.db.tx({ tenantId: a }, (q) => replayOutbox(q, a, { ids: [dead] })), [], 'replay is tenant-scoped');
});

test('four concurrent drainers deliver every message exactly once', async () => {
  const N = 120;
  const delivered: string[] = [];
  const drainers = [0, 1, 2, 3].map(() => new Outbox(t.db));
  for (const d of drainers) {
    d.now = () => clock;
    d.batch = 7;
    d.consume('test.race', async (m) => {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      delivered.push(`${m.tenantId}/${m.id}`);
    });
  }
  // Enqueued where no consumer of test.race runs after commit: the four drainers do all the work.
  const ids: string[] = [];
  for (const tenant of [a, b]) {
    await t.db.tx({ tenantId: tenant }, async (q) => {
      for (let i = 0; i < N / 2; i++) ids.push(`${tenant}/${(await enqueueOutbox(q, tenant, 'test.race', { i }))!}`);
    });
  }
  await Promise.all(drainers.map((d) => d.drainAll()));
  assert.equal(delivered.length, N, 'no message delivered twice');
  assert.deepEqual([...delivered].sort(), [...ids].sort(), 'every message delivered');
});

test('the outbox.drain job delivers what is due on the injected clock', async () => {
  const jobs = new JobRunner({ now: () => clock });
  defineOutboxJob(jobs, t.db);
  const got: unknown[] = [];
  outboxFor(t.db).consume('test.later', async (m) => void got.push(m.payload));
  await t.db.tx({ tenantId: a }, (q) => enqueueOutbox(q, a, 'test.later', { due: 'in an hour' }, { delayMs: 3600_000, now: clock }));
  await t.db.tx({}, async () => undefined);
  await jobs.runDue();
  assert.deepEqual(got, []);
  clock = new Date(clock.getTime() + 3600_000);
  await jobs.runNow('outbox.drain');
  assert.deepEqual(got, [{ due: 'in an hour' }]);
  await jobs.stop();
});
