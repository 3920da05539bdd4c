/** The rate limiter and the window counter: no one-second window above the rate, even when aborts and a late `sent()` are mixed in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RateLimiter, Semaphore, worstWindow } from '../src/limiter.js';

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
