/**
 * k-anonymity and the differencing defence (kanon.ts), attacked directly.
 *
 * The attacker holds every released cell of every team and of the org (the whole family, not
 * only what one viewer may ask) and knows the org chart and their own data. Within one day
 * and category, team sets form a laminar family; any integer combination of released cells is
 * constant on each "block" (a released set minus the released sets strictly inside it), so it
 * can isolate a group of people only as a union of blocks. The property test checks, with an
 * independent computation over plain sets, that every non-empty block holds >= k people the
 * attacker does not know, on random organisations. The named tricks (team minus one, self
 * subtraction, overlapping ranges, filter arithmetic, week minus days) are tested one by one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aggregateCells, buildTree, teamOf, weekOf, type DayData, type OrgTree, type WeekData } from '../src/pulse/kanon.js';

type Person = { id: string; manager_id: string | null };

function cellsFor(tree: OrgTree, people: Person[], root: string | null, data: DayData, days: string[], viewer: string, k: number, period: 'day' | 'week' = 'day', categories = ['dev']) {
  const members = root === null ? people.map((p) => p.id) : teamOf(tree, root);
  return aggregateCells({ tree, root, members, days, categories, data, viewer, k, period });
}

/** Everyone active in `active`, one category, one day. */
function dayData(day: string, active: Iterable<string>, seconds = (p: string) => 3600 + p.length): DayData {
  const m = new Map<string, { active: number; idle: number; work: number }>();
  for (const p of active) m.set(p, { active: seconds(p), idle: 0, work: 0 });
  return new Map([[`${day}|dev`, m]]);
}

/** A chain of teams: ceo > m1 > m2, each with `n` reports of their own. */
function org(sizes: number[]): { people: Person[]; managers: string[] } {
  const people: Person[] = [{ id: 'ceo', manager_id: null }];
  const managers = ['ceo'];
  sizes.forEach((n, level) => {
    const boss = managers[level]!;
    for (let i = 0; i < n; i++) people.push({ id: `${boss}-r${i}`, manager_id: boss });
    if (level < sizes.length - 1) {
      const m = `m${level + 1}`;
      people.push({ id: m, manager_id: boss });
      managers.push(m);
    }
  });
  return { people, managers };
}

const D = '2026-11-02'; // a Monday

test('k: a team of k-1 active people is suppressed, k is released; the viewer does not count', () => {
  for (const k of [3, 5]) {
    const { people } = org([k - 1]);
    const tree = buildTree(people);
    const all = people.map((p) => p.id).filter((x) => x !== 'ceo');
    const c1 = cellsFor(tree, people, 'ceo', dayData(D, all), [D], 'outsider', k)[0]!;
    assert.equal(c1.released, false);
    assert.equal(c1.active_s, undefined, 'suppressed, not rounded: no figure at all');
    const more = [...all, 'ceo-extra'];
    const tree2 = buildTree([...people, { id: 'ceo-extra', manager_id: 'ceo' }]);
    const people2 = [...people, { id: 'ceo-extra', manager_id: 'ceo' }];
    assert.equal(cellsFor(tree2, people2, 'ceo', dayData(D, more), [D], 'outsider', k)[0]!.released, true);
    // The viewer is one of the k: the others are k-1, so the cell is suppressed for them.
    assert.equal(cellsFor(tree2, people2, 'ceo', dayData(D, more), [D], more[0]!, k)[0]!.released, false, 'team minus oneself');
  }
});

test('team minus one: a team that differs from a released subteam by 1..k-1 people is suppressed', () => {
  const k = 5;
  // ceo has 1 direct report of their own plus m1, who has 6 reports.
  const { people } = org([1, 6]);
  const tree = buildTree(people);
  const active = people.map((p) => p.id).filter((x) => x !== 'ceo');
  const data = dayData(D, active);
  const sub = cellsFor(tree, people, 'm1', data, [D], 'outsider', k)[0]!;
  const top = cellsFor(tree, people, 'ceo', data, [D], 'outsider', k)[0]!;
  assert.equal(sub.released, true, 'm1 team: 6 people');
  assert.equal(top.released, false, 'ceo team = m1 team + 2 (ceo-r0 and m1 himself): subtracting would isolate them');
  // With 5 extra people at the top, both are released and the difference covers 5 + m1.
  const { people: p2 } = org([5, 6]);
  const t2 = buildTree(p2);
  const d2 = dayData(D, p2.map((p) => p.id).filter((x) => x !== 'ceo'));
  const a = cellsFor(t2, p2, 'ceo', d2, [D], 'outsider', k)[0]!;
  const b = cellsFor(t2, p2, 'm1', d2, [D], 'outsider', k)[0]!;
  assert.ok(a.released && b.released);
  assert.equal(a.people! - b.people!, 6);
});

test('overlapping date ranges and category filters return the very same cells (no range totals, no category totals)', () => {
  const { people } = org([6, 6]);
  const tree = buildTree(people);
  const days = ['2026-11-02', '2026-11-03', '2026-11-04'];
  const data: DayData = new Map();
  for (const d of days) for (const c of ['dev', 'mail']) data.set(`${d}|${c}`, new Map(people.filter((_, i) => (i + d.length + c.length) % 3 !== 0).map((p) => [p.id, { active: 100, idle: 10, work: 50 }])));
  const wide = cellsFor(tree, people, 'ceo', data, days, 'x', 3, 'day', ['dev', 'mail']);
  const narrow = cellsFor(tree, people, 'ceo', data, days.slice(1), 'x', 3, 'day', ['dev']);
  for (const c of narrow) assert.deepEqual(c, wide.find((w) => w.period === c.period && w.category === c.category));
  assert.ok(wide.every((c) => c.category !== '*' && days.includes(c.period)), 'cells are per day and per category only');
});

test('week minus its released days cannot isolate the people of a suppressed day', () => {
  const k = 5;
  const { people } = org([8]);
  const tree = buildTree(people);
  const week = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08'];
  const staff = people.map((p) => p.id).filter((x) => x !== 'ceo');
  const data: DayData = new Map();
  // Weekdays: all 8 work; the weekend: 2 people (suppressed on their own).
  week.forEach((d, i) => data.set(`${d}|dev`, new Map((i < 5 ? staff : staff.slice(0, 2)).map((p) => [p, { active: 3600, idle: 0, work: 0 }]))));
  const days = cellsFor(tree, people, 'ceo', data, week, 'x', k, 'day');
  assert.deepEqual(days.map((c) => c.released), [true, true, true, true, true, false, false]);
  const w = cellsFor(tree, people, 'ceo', data, week, 'x', k, 'week')[0]!;
  assert.equal(w.period, weekOf(week[0]!));
  assert.equal(w.released, false, 'the week minus the five released weekdays would give the two weekend workers');
  // Five other people on Sunday: what the suppressed days leave is 2 + 5 = 7 people, so the week is released.
  data.set(`${week[6]}|dev`, new Map(staff.slice(3, 8).map((p) => [p, { active: 3600, idle: 0, work: 0 }])));
  assert.deepEqual(cellsFor(tree, people, 'ceo', data, week, 'x', k, 'day').map((c) => c.released), [true, true, true, true, true, false, true]);
  // Sunday is now released; Saturday alone (2 people) is what the week minus six days leaves.
  assert.equal(cellsFor(tree, people, 'ceo', data, week, 'x', k, 'week')[0]!.released, false);
  data.set(`${week[5]}|dev`, new Map());
  assert.equal(cellsFor(tree, people, 'ceo', data, week, 'x', k, 'week')[0]!.released, true);
});

/** Random organisation: person i > 0 reports to a random earlier person. */
const orgArb = fc.integer({ min: 4, max: 45 }).chain((n) =>
  fc.record({
    managers: fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
    active: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    k: fc.integer({ min: 3, max: 6 }),
    viewer: fc.integer({ min: -1, max: n - 1 }),
  }).map((r) => {
    const people: Person[] = [{ id: 'p0', manager_id: null }];
    for (let i = 1; i < n; i++) people.push({ id: `p${i}`, manager_id: `p${r.managers[i - 1]! % i}` });
    return { people, active: people.filter((_, i) => r.active[i]).map((p) => p.id), k: r.k, viewer: r.viewer < 0 ? 'outsider' : `p${r.viewer}` };
  }),
);

test('property: every block of the released family holds 0 or >= k unknown people (so no combination of released cells isolates fewer than k)', () => {
  fc.assert(
    fc.property(orgArb, ({ people, active, k, viewer }) => {
      const tree = buildTree(people);
      const data = dayData(D, active);
      const activeSet = new Set(active);
      // The released family over plain sets of contributors the attacker does not know.
      const family: Array<Set<string>> = [];
      const roots: Array<string | null> = [null, ...people.filter((p) => (tree.children.get(p.id) ?? []).length > 0).map((p) => p.id)];
      for (const r of roots) {
        const c = cellsFor(tree, people, r, data, [D], viewer, k)[0]!;
        const members = r === null ? people.map((p) => p.id) : teamOf(tree, r);
        const set = new Set(members.filter((m) => activeSet.has(m) && m !== viewer));
        if (c.released) {
          assert.ok(set.size >= k, 'a released cell covers at least k unknown people');
          assert.equal(c.people, set.size + (members.includes(viewer) && activeSet.has(viewer) ? 1 : 0));
          family.push(set);
        } else assert.equal(c.active_s, undefined);
      }
      for (const g of family) {
        // Block: g minus every released set strictly inside it.
        const block = new Set(g);
        for (const h of family) if (h !== g && h.size < g.size && [...h].every((x) => g.has(x))) for (const x of h) block.delete(x);
        assert.ok(block.size === 0 || block.size >= k, `a block of ${block.size} people (k=${k})`);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: the week view from week rows (sums and day bits) gives exactly the cells of the week view from day rows', () => {
  const week = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08'];
  fc.assert(
    fc.property(orgArb, fc.array(fc.array(fc.nat({ max: 3 }), { minLength: 45, maxLength: 45 }), { minLength: 7, maxLength: 7 }), ({ people, k, viewer }, grid) => {
      const tree = buildTree(people);
      const data: DayData = new Map();
      const weekData: WeekData = new Map([[`${week[0]}|dev`, new Map()]]);
      week.forEach((d, di) => {
        const m = new Map<string, { active: number; idle: number; work: number }>();
        people.forEach((p, pi) => {
          const v = grid[di]![pi]!;
          if (v === 0) return;
          const f = { active: 600 * v, idle: 60 * v, work: 300 * v };
          m.set(p.id, f);
          const w = weekData.get(`${week[0]}|dev`)!;
          const had = w.get(p.id) ?? { active: 0, idle: 0, work: 0, days: 0 };
          w.set(p.id, { active: had.active + f.active, idle: had.idle + f.idle, work: had.work + f.work, days: had.days | (1 << di) });
        });
        data.set(`${d}|dev`, m);
      });
      for (const root of [null, ...people.filter((p) => (tree.children.get(p.id) ?? []).length > 0).map((p) => p.id)]) {
        const members = root === null ? people.map((p) => p.id) : teamOf(tree, root);
        const fromDays = aggregateCells({ tree, root, members, days: week, categories: ['dev'], data, viewer, k, period: 'week' });
        const fromWeeks = aggregateCells({ tree, root, members, days: week, categories: ['dev'], data: new Map(), weekData, viewer, k, period: 'week' });
        assert.deepEqual(fromWeeks, fromDays);
      }
    }),
    { numRuns: 100 },
  );
});
