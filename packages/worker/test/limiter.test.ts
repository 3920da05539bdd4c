/** The rate limiter and the window counter: no one-second window above the rate, even when aborts and a late `sent()` are mixed in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RateLimiter, RttTimeout, runPool, Semaphore, worstWindow } from '../src/limiter.js';

test('worstWindow counts the most events in any window', () => {
  assert.equal(worstWindow([]), 0);
  assert.equal(worstWindow([0, 999, 1000, 1999]), 2);
  assert.equal(worstWindow([5, 1, 3, 2, 4]), 5);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }), (ts) => {
      let brute = 0;
      for (const a of ts) brute = Math.max(brute, ts.filter((b) => b >= a && b < a + 1000).length);
      assert.equal(worstWindow(ts), brute);
    }),
  );
});

test('releases never exceed the rate in any one-second window', async () => {
  const rate = 25;
  const l = new RateLimiter(rate);
  const times: number[] = [];
  const ac = new AbortController();
  const waits = Array.from({ length: rate * 3 }, async (_, i) => {
    const sent = await l.acquire();
    times.push(performance.now());
    // Some attempts leave late: the window must count them from then.
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 30));
    sent();
  });
  const aborted = l.acquire(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  await Promise.all(waits);
  assert.equal(times.length, rate * 3);
  assert.ok(worstWindow(times) <= rate, `worst window ${worstWindow(times)}`);
});

test('Semaphore bounds concurrency', async () => {
  const s = new Semaphore(3);
  let active = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    const release = await s.acquire();
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 2));
    active--;
    release();
  }));
  assert.equal(peak, 3);
});

test('RttTimeout follows RFC 6298 as nmap does: the profile timeout until an answer, then srtt + 4 rttvar within [100 ms, profile]', () => {
  const r = new RttTimeout(1000);
  assert.equal(r.timeoutMs, 1000);
  r.observe(200); // srtt 200, rttvar 100 -> 600
  assert.equal(r.timeoutMs, 600);
  r.observe(200); // rttvar 75, srtt 200 -> 500
  assert.equal(r.timeoutMs, 500);
  for (let i = 0; i < 50; i++) r.observe(0.2);
  assert.equal(r.timeoutMs, 100, 'never below the 100 ms floor');
  const slow = new RttTimeout(1000);
  slow.observe(900);
  assert.equal(slow.timeoutMs, 1000, 'never above the profile timeout');
  assert.equal(new RttTimeout(50).timeoutMs, 50);
  const tiny = new RttTimeout(50);
  tiny.observe(1);
  assert.equal(tiny.timeoutMs, 50, 'the floor is never above the profile timeout');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60000 }), fc.array(fc.double({ min: 0, max: 1e5, noNaN: true })), (max, rtts) => {
      const t = new RttTimeout(max);
      for (const x of rtts) t.observe(x);
      assert.ok(t.timeoutMs <= max && t.timeoutMs >= Math.min(100, max));
    }),
  );
});

test('runPool keeps at most `concurrency` calls in flight, visits every item once and reports the first error', async () => {
  let active = 0;
  let peak = 0;
  const seen: number[] = [];
  await runPool(Array.from({ length: 40 }, (_, i) => i), 4, async (i) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 1));
    seen.push(i);
    active--;
  });
  assert.equal(peak, 4);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  let after = 0;
  await assert.rejects(
    runPool([1, 2, 3, 4, 5, 6], 2, async (i) => {
      if (i === 2) throw new Error('boom');
      if (i > 3) after++;
    }),
    /boom/,
  );
  assert.ok(after <= 1, 'runners stop taking items after a failure');
});
