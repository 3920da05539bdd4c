/**
 * The PDP decision cache answers exactly as Cedar does: keyed by everything the request sends
 * to Cedar, so a change of the principal's roles, of the MFA age or of the policy set (new
 * declarations) is never answered from a stale entry. Property test: cached and uncached
 * decisions agree on random requests.
 */
import { setFlagsFromString } from 'node:v8';
// Thousands of Cedar decisions in one process once hit a V8 bug on Node 20 ("unreachable code"
// in Deoptimizer::DoComputeBuiltinContinuation, a fatal abort of the test process). Without the
// optimising compiler the same decisions run a little slower and have not hit it since.
setFlagsFromString('--no-opt');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clearDecisionCache, decide, defineActions, pdpCacheStats } from '../src/platform/pdp.js';
import type { UserPrincipal } from '../src/platform/principal.js';

defineActions({
  'cachetest.report.read': { roles: ['auditor', 'admin'] },
  'cachetest.report.delete': { roles: ['admin'], stepUp: true },
});
const user = (roles: UserPrincipal['roles'], userId = 'u1'): UserPrincipal => ({ kind: 'user', tenantId: 't1', userId, email: 'e', roles, sessionId: 's', mfaVerifiedAt: null, csrfToken: 'x' });
const res = { type: 'report', id: 'r1', tenantId: 't1' };

test('a roles change, an MFA age change and a policy-set change are not answered from the cache', () => {
  clearDecisionCache();
  assert.equal(decide(user(['employee']), 'cachetest.report.read', res, {}).allowed, false);
  assert.equal(decide(user(['employee']), 'cachetest.report.read', res, {}).allowed, false);
  const hits = pdpCacheStats.hits;
  assert.equal(decide(user(['auditor']), 'cachetest.report.read', res, {}).allowed, true, 'same user, new roles: a new decision');
  assert.equal(decide(user(['auditor']), 'cachetest.report.read', res, {}).allowed, true);
  assert.ok(pdpCacheStats.hits > hits, 'repeated requests are served from the cache');
  // Step-up: a stale MFA is a step-up, a fresh one allows; the age is part of the key.
  const stale = decide(user(['admin']), 'cachetest.report.delete', res, { mfaAgeSeconds: 86_400 });
  assert.deepEqual([stale.allowed, stale.stepUpRequired], [false, true]);
  assert.equal(decide(user(['admin']), 'cachetest.report.delete', res, { mfaAgeSeconds: 5 }).allowed, true);
  assert.equal(decide(user(['admin']), 'cachetest.report.delete', res, { mfaAgeSeconds: 86_400 }).allowed, false);
  // A new declaration rebuilds the policy set: the auditor loses nothing, and a new action is decided fresh.
  const misses = pdpCacheStats.misses;
  defineActions({ 'cachetest.report.export': { roles: ['auditor'] } });
  assert.equal(decide(user(['auditor']), 'cachetest.report.read', res, {}).allowed, true);
  assert.ok(pdpCacheStats.misses > misses, 'the cache was emptied with the policy set');
  assert.equal(decide(user(['auditor']), 'cachetest.report.export', res, {}).allowed, true);
  assert.equal(decide(user(['employee']), 'cachetest.report.export', res, {}).allowed, false);
});

test('cached and uncached decisions agree (property)', () => {
  const roles = fc.subarray(['admin', 'security_lead', 'operator', 'manager', 'employee', 'auditor'] as UserPrincipal['roles'], { minLength: 0, maxLength: 3 });
  const req = fc.record({
    roles,
    userId: fc.constantFrom('u1', 'u2', 'u3'),
    action: fc.constantFrom('cachetest.report.read', 'cachetest.report.delete', 'cachetest.report.export'),
    tenant: fc.constantFrom('t1', 't2'),
    mfa: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(req, { minLength: 1, maxLength: 30 }), (reqs) => {
      const ask = (x: (typeof reqs)[number]) => decide(user(x.roles, x.userId), x.action, { ...res, tenantId: x.tenant }, x.mfa === undefined ? {} : { mfaAgeSeconds: x.mfa });
      const warm = reqs.map((x) => ask(x));
      const again = reqs.map((x) => ask(x));
      const cold = reqs.map((x) => (clearDecisionCache(), ask(x)));
      assert.deepEqual(again, warm);
      assert.deepEqual(cold, warm);
    }),
    { numRuns: 40 },
  );
});
