/**
 * The transactional outbox on a real database (PGlite, and PostgreSQL with DATABASE_URL):
 * a rolled-back transaction enqueues nothing; committed messages are delivered after commit,
 * at least once through consumer failures, with backoff on the injected clock, dead-lettered
 * after max_attempts and replayable; four concurrent drainers deliver each message exactly
 * once; RLS keeps each tenant's messages to itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { createTenant } from '../src/testing.js';
import { DEFAULT_BACKOFF, enqueueOutbox, listOutbox, Outbox, outboxBackoffMs, outboxFor, OutboxError, replayOutbox, type OutboxMessage } from '../src/platform/outbox.js';
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
  outboxFor(t.db).rand = () => 0.5; // nominal delays (no jitter draw), so the test can step the clock exactly
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

test('backoff (property): capped exponential, each delay within ±jitter of its nominal value, growing until the cap', () => {
  const policy = fc.record({
    baseMs: fc.integer({ min: 1, max: 60_000 }),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    capMs: fc.integer({ min: 60_000, max: 7 * 86_400_000 }),
    jitter: fc.double({ min: 0, max: 0.9, noNaN: true }),
  });
  fc.assert(
    fc.property(policy, fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (p, n, r) => {
      const nominal = Math.min(p.capMs, p.baseMs * p.factor ** (n - 1));
      const d = outboxBackoffMs(n, p, r);
      assert.ok(d >= Math.floor(nominal * (1 - p.jitter)) && d <= Math.ceil(nominal * (1 + p.jitter)), `${d} outside ±${p.jitter} of ${nominal}`);
      assert.ok(d <= Math.ceil(p.capMs * (1 + p.jitter)), 'never beyond the jittered cap');
      assert.ok(outboxBackoffMs(n + 1, p, 0.5) >= outboxBackoffMs(n, p, 0.5), 'nominal delays never shrink');
    }),
    { numRuns: 500 },
  );
  // The default: 1 s doubling to 1 h, ±20 %.
  assert.deepEqual([1, 2, 3, 13, 40].map((n) => outboxBackoffMs(n)), [1000, 2000, 4000, 3600_000, 3600_000]);
  assert.equal(outboxBackoffMs(1, DEFAULT_BACKOFF, 0), 800);
  assert.equal(outboxBackoffMs(1, DEFAULT_BACKOFF, 1), 1200);
  assert.throws(() => outboxBackoffMs(1, { baseMs: 0 }), OutboxError);
  assert.throws(() => outboxBackoffMs(1, { jitter: 1 }), OutboxError);
  assert.throws(() => outboxFor(t.db).consume('test.bad', async () => undefined, { concurrency: 0 }), OutboxError);
});

test('jitter spreads retries of messages that failed together; a consumer\'s own backoff and max attempts apply', async () => {
  const ob = new Outbox(t.db);
  ob.now = () => clock;
  ob.consume('test.herd', async () => {
    throw new Error('receiver down');
  }, { backoff: { baseMs: 60_000, factor: 3, capMs: 600_000, jitter: 0.25 }, concurrency: 8 });
  await t.db.tx({ tenantId: a }, async (q) => {
    for (let i = 0; i < 40; i++) await enqueueOutbox(q, a, 'test.herd', { i }, { maxAttempts: 3 });
  });
  const at0 = clock.getTime();
  assert.deepEqual(await ob.drainTenant(a), { delivered: 0, failed: 40, dead: 0 });
  const rows = await t.db.tx({ tenantId: a }, (q) => listOutbox(q, { topic: 'test.herd' }));
  const delays = rows.map((r) => r.nextAttemptAt!.getTime() - at0);
  assert.ok(delays.every((d) => d >= 45_000 && d <= 75_000), `first retry 60 s ±25 %: ${delays}`);
  assert.ok(new Set(delays).size > 20, 'the herd is spread, not retried in one instant');
  clock = new Date(at0 + 75_001);
  assert.deepEqual(await ob.drainTenant(a), { delivered: 0, failed: 40, dead: 0 });
  const second = (await t.db.tx({ tenantId: a }, (q) => listOutbox(q, { topic: 'test.herd' }))).map((r) => r.nextAttemptAt!.getTime() - clock.getTime());
  assert.ok(second.every((d) => d >= 135_000 && d <= 225_000), `second retry 180 s ±25 %: ${second}`);
  clock = new Date(clock.getTime() + 225_001);
  assert.deepEqual(await ob.drainTenant(a), { delivered: 0, failed: 0, dead: 40 }, 'dead after max_attempts (3)');
  const dead = await t.db.tx({ tenantId: a }, (q) => listOutbox(q, { topic: 'test.herd', state: 'dead' }));
  assert.equal(dead.length, 40);
  assert.ok(dead.every((r) => r.attempts === 3 && r.lastError === 'receiver down'));
});

test('outcomes: dead and cancelled end a message at once; record() writes in the drainer\'s transaction; prepare() reads once per batch', async () => {
  const ob = new Outbox(t.db);
  ob.now = () => clock;
  let prepared = 0;
  ob.consume<{ want: 'ok' | 'dead' | 'cancelled' | 'retry' }, string>(
    'test.outcome',
    async (m, ctx) => {
      assert.equal(ctx, 'batch context');
      const w = m.payload.want;
      return {
        result: w === 'ok' ? 'delivered' : w,
        ...(w === 'ok' ? {} : { error: `wanted ${w}` }),
        // A write that goes with the outcome: it is in the same transaction as the state change.
        record: (q) => q.query(`UPDATE outbox SET last_error = $2 WHERE id = $1`, [m.id, `recorded ${w}`]).then(() => undefined),
      };
    },
    { prepare: async (q, ms) => { prepared++; assert.ok((await q.query(`SELECT 1`)).rows.length && ms.length === 4); return 'batch context'; } },
  );
  const ids: Record<string, string> = {};
  await t.db.tx({ tenantId: b }, async (q) => {
    for (const want of ['ok', 'dead', 'cancelled', 'retry'] as const) ids[want] = (await enqueueOutbox(q, b, 'test.outcome', { want }))!;
  });
  assert.deepEqual(await ob.drainTenant(b), { delivered: 1, failed: 1, dead: 2 });
  assert.equal(prepared, 1);
  const rows = new Map((await t.db.tx({ tenantId: b }, (q) => listOutbox(q, { topic: 'test.outcome' }))).map((r) => [r.id, r]));
  assert.equal(rows.get(ids.ok!)!.state, 'delivered');
  assert.equal(rows.get(ids.dead!)!.state, 'dead');
  assert.equal(rows.get(ids.dead!)!.attempts, 1, 'dead at the first attempt, not after max_attempts');
  assert.equal(rows.get(ids.cancelled!)!.state, 'cancelled');
  assert.equal(rows.get(ids.retry!)!.state, 'pending');
  // The outcome's error wins over what record() wrote; a delivered message keeps no error.
  assert.equal(rows.get(ids.retry!)!.lastError, 'wanted retry');
  assert.equal(rows.get(ids.ok!)!.lastError, null);
  // Default replay takes dead letters only; a cancelled message is replayed by id.
  assert.deepEqual(await t.db.tx({ tenantId: b }, (q) => replayOutbox(q, b, { topic: 'test.outcome', now: clock })), [ids.dead]);
  assert.deepEqual(await t.db.tx({ tenantId: b }, (q) => replayOutbox(q, b, { ids: [ids.cancelled!], now: clock })), [ids.cancelled]);
});

test('a failed prepare() counts as an attempt for each message of its batch: backoff, then dead letter; other topics of the batch are delivered', async () => {
  const ob = new Outbox(t.db);
  let now = new Date('2026-07-01T00:00:00Z');
  ob.now = () => now;
  ob.rand = () => 0.5;
  const backoff = { baseMs: 1000, factor: 2, capMs: 60_000, jitter: 0 };
  let prepares = 0;
  let consumed = 0;
  let mode: 'sql' | 'throw' | 'ok' = 'sql';
  ob.consume(
    'test.prepfail',
    async () => void consumed++,
    {
      backoff,
      prepare: async (q) => {
        prepares++;
        // An SQL error aborts a PostgreSQL transaction: the drainer must still record the attempt.
        if (mode === 'sql') await q.query(`SELECT * FROM no_such_table_for_prepare`);
        if (mode === 'throw') throw new Error('directory unavailable');
        return 'ctx';
      },
    },
  );
  const okGot: string[] = [];
  ob.consume('test.prepok', async (m) => void okGot.push(m.id), { prepare: async (q) => (await q.query(`SELECT 1 AS one`)).rows });
  const ids: string[] = [];
  let okId = '';
  await t.db.tx({ tenantId: b }, async (q) => {
    ids.push((await enqueueOutbox(q, b, 'test.prepfail', { n: 1 }, { maxAttempts: 3 }))!);
    okId = (await enqueueOutbox(q, b, 'test.prepok', { n: 2 }))!;
    ids.push((await enqueueOutbox(q, b, 'test.prepfail', { n: 3 }, { maxAttempts: 3 }))!);
  });
  const rows = async () => new Map((await t.db.tx({ tenantId: b }, (q) => listOutbox(q, { topic: 'test.prepfail' }))).map((r) => [r.id, r]));

  assert.deepEqual(await ob.drainTenant(b), { delivered: 1, failed: 2, dead: 0 });
  assert.deepEqual(okGot, [okId], 'the other topic of the same batch is delivered');
  assert.equal(consumed, 0, 'no message is handed to a consumer whose prepare failed');
  let r = await rows();
  for (const id of ids) {
    assert.equal(r.get(id)!.state, 'pending');
    assert.equal(r.get(id)!.attempts, 1);
    assert.equal(r.get(id)!.nextAttemptAt?.getTime(), now.getTime() + 1000);
    assert.match(r.get(id)!.lastError!, /^prepare failed: .*no_such_table_for_prepare/);
  }
  // Not due yet: no second prepare in a pass, nor in a pass before next_attempt_at.
  assert.equal(prepares, 1);
  assert.deepEqual(await ob.drainTenant(b), { delivered: 0, failed: 0, dead: 0 });
  assert.equal(prepares, 1, 'no retry without backoff');

  mode = 'throw';
  now = new Date(now.getTime() + 1000);
  assert.deepEqual(await ob.drainTenant(b), { delivered: 0, failed: 2, dead: 0 });
  r = await rows();
  for (const id of ids) {
    assert.equal(r.get(id)!.attempts, 2);
    assert.equal(r.get(id)!.nextAttemptAt?.getTime(), now.getTime() + 2000, 'exponential: second delay doubles');
    assert.equal(r.get(id)!.lastError, 'prepare failed: directory unavailable');
  }
  now = new Date(now.getTime() + 2000);
  assert.deepEqual(await ob.drainTenant(b), { delivered: 0, failed: 0, dead: 2 }, 'dead letter at max_attempts');
  r = await rows();
  for (const id of ids) assert.deepEqual([r.get(id)!.state, r.get(id)!.attempts], ['dead', 3]);
  assert.equal(consumed, 0);

  // Replayed once prepare works again: delivered.
  mode = 'ok';
  await t.db.tx({ tenantId: b }, (q) => replayOutbox(q, b, { topic: 'test.prepfail', now }));
  assert.deepEqual(await ob.drainTenant(b), { delivered: 2, failed: 0, dead: 0 });
  assert.equal(consumed, 2);
});

test('recordBatch: one call per topic per batch with every outcome in id order, in the drainer\'s transaction; states written for the whole batch', async () => {
  const ob = new Outbox(t.db);
  ob.now = () => clock;
  ob.rand = () => 0.5;
  const calls: Array<Array<[string, string]>> = [];
  ob.consume<{ ok: boolean }>(
    'test.batchrec',
    async (m) => (m.payload.ok ? undefined : { result: 'retry', error: 'nope' }),
    {
      recordBatch: async (q, done) => {
        calls.push(done.map((x) => [x.message.id, x.outcome.result]));
        // Its writes share the transaction: the rows are still pending (locked by this drainer).
        const st = await q.query<{ state: string }>(`SELECT state FROM outbox WHERE id = ANY($1::bigint[])`, [done.map((x) => x.message.id)]);
        assert.ok(st.rows.every((r) => r.state === 'pending'));
      },
    },
  );
  const ids: string[] = [];
  await t.db.tx({ tenantId: a }, async (q) => {
    for (let i = 0; i < 5; i++) ids.push((await enqueueOutbox(q, a, 'test.batchrec', { ok: i % 2 === 0 }))!);
  });
  assert.deepEqual(await ob.drainTenant(a), { delivered: 3, failed: 2, dead: 0 });
  assert.deepEqual(calls, [ids.map((id, i) => [id, i % 2 === 0 ? 'delivered' : 'retry'])]);
  const rows = new Map((await t.db.tx({ tenantId: a }, (q) => listOutbox(q, { topic: 'test.batchrec' }))).map((r) => [r.id, r]));
  ids.forEach((id, i) => {
    const r = rows.get(id)!;
    if (i % 2 === 0) assert.deepEqual([r.state, r.attempts, r.lastError, r.deliveredAt?.getTime()], ['delivered', 0, null, clock.getTime()]);
    else assert.deepEqual([r.state, r.attempts, r.lastError, r.nextAttemptAt?.getTime()], ['pending', 1, 'nope', clock.getTime() + outboxBackoffMs(1)]);
  });
});
