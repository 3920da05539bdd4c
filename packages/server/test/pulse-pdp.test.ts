/**
 * PULSE-ACCESS decision table: every relation (self, manager over the chain, manager outside
 * it, delegate, admin, auditor, plain colleague) x every default purpose x level x period,
 * decided by the real Cedar policies (policies/30-pulse.cedar) with the default purpose list.
 * The expected answer is computed from the purpose grants by a plain rule written out here,
 * not by the code under test; a few rows are also spelled out by hand.
 */
import { setFlagsFromString } from 'node:v8';
// Thousands of Cedar decisions in one process once hit a V8 bug on Node 20 ("unreachable code"
// in Deoptimizer::DoComputeBuiltinContinuation, a fatal abort of the test process). Without the
// optimising compiler the same decisions run a little slower and have not hit it since.
setFlagsFromString('--no-opt');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decide, type Resource } from '../src/platform/pdp.js';
import type { Role, UserPrincipal } from '../src/platform/principal.js';
import '../src/pulse/routes.js'; // declares pulse.activity.read
import { DEFAULT_PURPOSES, LEVELS, PERIODS, type Level, type Period } from '../src/pulse/settings.js';

const T = randomUUID();
const ids = { ceo: randomUUID(), vp: randomUUID(), lead: randomUUID(), alice: randomUUID(), bob: randomUUID(), hr: randomUUID(), admin: randomUUID(), aud: randomUUID() };
// ceo > vp > lead > alice; bob reports to the ceo directly.
const chain: Record<string, string[]> = { alice: [ids.lead, ids.vp, ids.ceo], lead: [ids.vp, ids.ceo], vp: [ids.ceo], bob: [ids.ceo], ceo: [], hr: [], admin: [], aud: [] };
const roles: Record<string, Role[]> = { ceo: ['manager'], vp: ['manager'], lead: ['manager', 'employee'], alice: ['employee'], bob: ['employee'], hr: ['employee'], admin: ['admin', 'employee'], aud: ['auditor'] };
const delegations: Record<string, string[]> = { hr: ['hr_tools'] };

const who = (name: keyof typeof ids): UserPrincipal => ({ kind: 'user', tenantId: T, userId: ids[name], email: `${name}@x.test`, roles: roles[name]!, sessionId: 's', mfaVerifiedAt: null, csrfToken: 'c' });

function ask(viewer: keyof typeof ids, o: { purpose: string; level: Level; period: Period; subject?: keyof typeof ids; category?: string; tenant?: string }): boolean {
  const purpose = DEFAULT_PURPOSES.find((p) => p.key === o.purpose);
  const attrs: Record<string, unknown> = { level: o.level, period: o.period };
  if (o.subject) Object.assign(attrs, { subject: ids[o.subject], managerChain: chain[o.subject] });
  if (o.category) attrs.category = o.category;
  const r: Resource = { type: 'pulse_activity', id: o.subject ?? 'org', tenantId: o.tenant ?? T, attrs };
  return decide(who(viewer), 'pulse.activity.read', r, { purpose: o.purpose, purposeGrants: purpose?.grants ?? [], delegatedCategories: delegations[viewer] ?? [] }).allowed;
}

/** The rule as the issue states it, from the purpose's grants. */
function expected(viewer: keyof typeof ids, purpose: string, level: Level, period: Period, subject: keyof typeof ids | undefined, category: string | undefined): boolean {
  const grants = DEFAULT_PURPOSES.find((p) => p.key === purpose)!.grants;
  const has = (role: string) => grants.some((g) => g.role === role && g.level === level && g.period === period);
  const r = roles[viewer]!;
  if (level === 'person' && subject === viewer && has('employee')) return true;
  if (r.includes('auditor')) return false;
  const below = subject !== undefined && (subject === viewer || chain[subject]!.includes(ids[viewer]));
  if (r.includes('manager') && level !== 'org' && below && has('manager')) return true;
  if (r.includes('manager') && level === 'org' && has('manager')) return true;
  if (category && (delegations[viewer] ?? []).includes(category) && has('delegate')) return true;
  return false;
}

test('decision table: viewer x purpose x level x period x subject x category, against the stated rule', (ctx) => {
  let rows = 0;
  let allowed = 0;
  const subjects: Array<keyof typeof ids | undefined> = ['alice', 'lead', 'bob', 'hr', 'admin', 'aud'];
  for (const viewer of Object.keys(ids) as Array<keyof typeof ids>) {
    for (const p of DEFAULT_PURPOSES) {
      for (const level of LEVELS) {
        for (const period of PERIODS) {
          for (const subject of level === 'org' ? [undefined] : subjects) {
            for (const category of [undefined, 'hr_tools', 'development']) {
              const want = expected(viewer, p.key, level, period, subject, category);
              const got = ask(viewer, { purpose: p.key, level, period, ...(subject ? { subject } : {}), ...(category ? { category } : {}) });
              assert.equal(got, want, `${viewer} ${p.key} ${level}/${period} subject=${subject ?? '-'} category=${category ?? '-'}`);
              rows++;
              if (got) allowed++;
            }
          }
        }
      }
    }
  }
  ctx.diagnostic(`${rows} decisions checked, ${allowed} allowed`);
  assert.ok(allowed > 20 && allowed < rows / 2);
});

test('decision table: rows spelled out by hand', () => {
  const cases: Array<[keyof typeof ids, Parameters<typeof ask>[1], boolean, string]> = [
    ['alice', { purpose: 'my_data', level: 'person', period: 'day', subject: 'alice' }, true, 'own data in detail'],
    ['alice', { purpose: 'my_data', level: 'person', period: 'day', subject: 'bob' }, false, "not a colleague's"],
    ['alice', { purpose: 'wellbeing', level: 'person', period: 'day', subject: 'alice' }, false, 'own data needs a purpose that grants it'],
    ['lead', { purpose: 'security_investigation', level: 'person', period: 'day', subject: 'alice' }, true, 'direct report, people-level purpose'],
    ['ceo', { purpose: 'security_investigation', level: 'person', period: 'week', subject: 'alice' }, true, 'indirect report (3 levels)'],
    ['lead', { purpose: 'wellbeing', level: 'person', period: 'day', subject: 'alice' }, false, 'wellbeing gives aggregates only'],
    ['lead', { purpose: 'wellbeing', level: 'team', period: 'day', subject: 'lead' }, true, 'own team as aggregate'],
    ['lead', { purpose: 'wellbeing', level: 'team', period: 'day', subject: 'vp' }, false, "the manager's manager's team is not below"],
    ['lead', { purpose: 'security_investigation', level: 'person', period: 'day', subject: 'bob' }, false, 'outside the chain'],
    ['vp', { purpose: 'capacity_planning', level: 'team', period: 'day', subject: 'vp' }, false, 'capacity planning is weekly'],
    ['vp', { purpose: 'capacity_planning', level: 'org', period: 'week' }, true, 'org aggregates by week'],
    ['hr', { purpose: 'tool_adoption', level: 'org', period: 'day', category: 'hr_tools' }, true, 'delegated category across the org'],
    ['hr', { purpose: 'tool_adoption', level: 'org', period: 'day' }, false, 'a delegate must stay within the category'],
    ['hr', { purpose: 'tool_adoption', level: 'org', period: 'day', category: 'development' }, false, 'not a delegated category'],
    ['hr', { purpose: 'tool_adoption', level: 'person', period: 'day', subject: 'bob', category: 'hr_tools' }, false, 'tool adoption grants no people-level data'],
    ['hr', { purpose: 'security_investigation', level: 'person', period: 'day', subject: 'bob', category: 'hr_tools' }, true, 'investigation of a delegated category'],
    ['admin', { purpose: 'capacity_planning', level: 'org', period: 'week' }, false, 'admins configure, they do not read activity'],
    ['admin', { purpose: 'my_data', level: 'person', period: 'day', subject: 'admin' }, true, 'but their own data is theirs'],
    ['aud', { purpose: 'capacity_planning', level: 'org', period: 'week' }, false, 'auditors read no activity data'],
    ['ceo', { purpose: 'unknown', level: 'org', period: 'week' }, false, 'a purpose not on the list grants nothing'],
    ['ceo', { purpose: 'capacity_planning', level: 'org', period: 'week', tenant: randomUUID() }, false, 'another tenant'],
  ];
  for (const [viewer, q, want, why] of cases) assert.equal(ask(viewer, q), want, `${viewer}: ${why}`);
});
