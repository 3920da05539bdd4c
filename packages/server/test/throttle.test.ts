import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DELAY_BASE_SECONDS, DELAY_MAX_SECONDS, SOURCE_FREE_FAILURES, MFA_FREE_FAILURES, IP_MAX_ATTEMPTS, step, type Counter } from '../src/auth/throttle.js';

// The pure rule behind every sign-in counter (issue 12 item 4, issue 19 defect 3).
test('delays start after the free failures, double, are capped, and a refused attempt changes nothing', () => {
  fc.assert(
    fc.property(fc.constantFrom('src:a@x|1.2.3.4', 'mfa:u1', 'acct:a@x'), fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1, maxLength: 60 }), (key, gaps) => {
      let c: Counter | undefined;
      let now = 1_700_000_000_000;
      let lastDelay = 0;
      for (const g of gaps) {
        now += g;
        const r = step(key, c, now);
        if (r.refusal) {
          assert.equal(r.next, c, 'refused: not counted');
          assert.ok(r.refusal.retryAfter >= 1 && r.refusal.retryAfter <= DELAY_MAX_SECONDS);
          continue;
        }
        c = r.next;
        if (c.lockedUntil !== null) {
          const d = (c.lockedUntil - now) / 1000;
          assert.ok(d >= DELAY_BASE_SECONDS && d <= DELAY_MAX_SECONDS);
          if (c.failures > 1 && lastDelay) assert.ok(d >= lastDelay || d === DELAY_MAX_SECONDS || c.failures === 1);
          lastDelay = d;
        } else lastDelay = 0;
      }
    }),
  );
});

test('exact schedule: free failures, then 30 s, 60 s, 120 s … 900 s', () => {
  for (const [key, free] of [['src:a|b', SOURCE_FREE_FAILURES], ['mfa:u', MFA_FREE_FAILURES]] as const) {
    let c: Counter | undefined;
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < free + 7; i++) {
      const r = step(key, c, now);
      assert.equal(r.refusal, undefined);
      c = r.next;
      delays.push(c.lockedUntil === null ? 0 : (c.lockedUntil - now) / 1000);
      assert.equal(step(key, c, now + 1).refusal?.reason, c.lockedUntil === null ? undefined : 'delayed');
      now = c.lockedUntil ?? now + 1000;
    }
    assert.deepEqual(delays, [...Array(free).fill(0), 30, 60, 120, 240, 480, 900, 900]);
  }
});

test('one address: a fixed window of attempts across accounts', () => {
  let c: Counter | undefined;
  for (let i = 0; i < IP_MAX_ATTEMPTS; i++) c = step('ip:1.2.3.4', c, 1000 + i).next;
  const r = step('ip:1.2.3.4', c, 2000);
  assert.equal(r.refusal?.reason, 'ip_throttled');
  assert.equal(step('ip:1.2.3.4', c, 1000 + 15 * 60_000).refusal, undefined, 'a new window');
});
