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
import { aggregateCells, buildTree, teamOf, weekOf, type DayData, type OrgTree } from '../src/pulse/kanon.js';

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

test('a week is the sum of its released days: the people of a suppressed day are left out, never subtractable', () => {
  const k = 5;
  const { people } = org([8]);
  const tree = buildTree(people);
  const week = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08'];
  const staff = people.map((p) => p.id).filter((x) => x !== 'ceo');
  const data: DayData = new Map();
  // Weekdays: all 8 work; the weekend: 2 people (suppressed on their own).
  week.forEach((d, i) => data.set(`${d}|dev`, new Map((i < 5 ? staff : staff.slice(0, 2)).map((p) => [p, { active: 3600 + i, idle: 0, work: 0 }]))));
  const days = cellsFor(tree, people, 'ceo', data, week, 'x', k, 'day');
  assert.deepEqual(days.map((c) => c.released), [true, true, true, true, true, false, false]);
  const w = cellsFor(tree, people, 'ceo', data, week, 'x', k, 'week')[0]!;
  assert.equal(w.period, weekOf(week[0]!));
  assert.equal(w.released, true);
  assert.equal(w.omitted_days, 2);
  // The week minus its five released days is 0: the weekend workers' figures are in no cell.
  assert.equal(w.active_s! - days.filter((c) => c.released).reduce((n, c) => n + c.active_s!, 0), 0);
  assert.equal(w.people, 8);
  // Five other people on Sunday: Sunday is released and joins the week.
  data.set(`${week[6]}|dev`, new Map(staff.slice(3, 8).map((p) => [p, { active: 3600, idle: 0, work: 0 }])));
  const w2 = cellsFor(tree, people, 'ceo', data, week, 'x', k, 'week')[0]!;
  assert.equal(w2.omitted_days, 1);
  assert.equal(w2.active_s, w.active_s! + 5 * 3600);
  // No released day at all: the week is suppressed.
  for (const d of week) data.set(`${d}|dev`, new Map(staff.slice(0, 4).map((p) => [p, { active: 3600, idle: 0, work: 0 }])));
  assert.equal(cellsFor(tree, people, 'ceo', data, week, 'x', k, 'week')[0]!.released, false);
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

// ---------------------------------------------------------------- days and weeks together

/** Rank of an integer matrix over GF(2^31 - 1) (0/1 rows: the rank over the rationals, but for rare primes). */
function rank(rows: number[][], cols: number): number {
  const P = 2147483647n;
  const m = rows.map((r) => r.map((x) => BigInt(x)));
  let r = 0;
  for (let c = 0; c < cols && r < m.length; c++) {
    const piv = m.findIndex((row, i) => i >= r && row[c]! % P !== 0n);
    if (piv < 0) continue;
    [m[r], m[piv]] = [m[piv]!, m[r]!];
    const inv = modPow(((m[r]![c]! % P) + P) % P, P - 2n, P);
    for (let i = 0; i < m.length; i++) {
      if (i === r || m[i]![c]! % P === 0n) continue;
      const f = (m[i]![c]! * inv) % P;
      for (let j = c; j < cols; j++) m[i]![j] = (((m[i]![j]! - f * m[r]![j]!) % P) + P) % P;
    }
    r++;
  }
  return r;
}
function modPow(b: bigint, e: bigint, p: bigint): bigint {
  let out = 1n;
  for (b %= p; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) out = (out * b) % p;
  return out;
}
function* subsets<T>(xs: T[], size: number, from = 0, acc: T[] = []): Generator<T[]> {
  if (acc.length === size) return yield [...acc];
  for (let i = from; i < xs.length; i++) yield* subsets(xs, size, i + 1, [...acc, xs[i]!]);
}

const WEEK = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08'];

/**
 * Every released cell of every team (and the org) for one week and category, by day and by
 * week, as rows over the unknowns (person, day) the attacker does not know (the viewer's own
 * are known). Each cell's row is found from the outside, by raising one unknown's figure at a
 * time and watching which cells move. Returns people whose figures some combination of
 * released cells isolates in a group of fewer than k, or [] when none: a combination
 * supported on a set T of people exists iff dropping T's unknowns lowers the rank.
 */
function isolatable(people: Person[], grid: boolean[][], k: number, viewer: string): string[] {
  const tree = buildTree(people);
  const dataWith = (bump?: string) => {
    const data: DayData = new Map();
    WEEK.forEach((d, di) => data.set(`${d}|dev`, new Map(people.filter((_, pi) => grid[di]![pi]).map((p) => [p.id, { active: 3600 + (bump === `${p.id}@${d}` ? 1 : 0), idle: 0, work: 0 }]))));
    return data;
  };
  const vars: string[] = [];
  WEEK.forEach((d, di) => people.forEach((p, pi) => grid[di]![pi] && p.id !== viewer && vars.push(`${p.id}@${d}`)));
  const rows: number[][] = [];
  for (const root of [null, ...people.filter((p) => (tree.children.get(p.id) ?? []).length > 0).map((p) => p.id)]) {
    const members = root === null ? people.map((p) => p.id) : teamOf(tree, root);
    const cells = (data: DayData) => [
      ...aggregateCells({ tree, root, members, days: WEEK, categories: ['dev'], data, viewer, k, period: 'day' }),
      ...aggregateCells({ tree, root, members, days: WEEK, categories: ['dev'], data, viewer, k, period: 'week' }),
    ];
    const base = cells(dataWith());
    const probes = vars.map((v) => cells(dataWith(v)));
    base.forEach((c, ci) => {
      if (c.released) rows.push(probes.map((pc) => pc[ci]!.active_s! - c.active_s!));
      else assert.equal(c.active_s, undefined);
    });
  }
  if (!rows.length) return [];
  const full = rank(rows, vars.length);
  const unknown = people.map((p) => p.id).filter((p) => p !== viewer && vars.some((v) => v.startsWith(`${p}@`)));
  for (const T of subsets(unknown, Math.min(k - 1, unknown.length))) {
    const keep = vars.map((v, i) => [v, i] as const).filter(([v]) => !T.some((p) => v.startsWith(`${p}@`))).map(([, i]) => i);
    if (rank(rows.map((r) => keep.map((i) => r[i]!)), keep.length) < full) return T;
  }
  return [];
}

test('week minus subteam week minus the days both released: a suppressed day of the difference is not isolated', () => {
  const k = 3;
  // a leads b; b has 3 reports; a has 2 reports of their own besides b.
  const people: Person[] = [{ id: 'a', manager_id: null }, { id: 'b', manager_id: 'a' }, { id: 'a1', manager_id: 'a' }, { id: 'a2', manager_id: 'a' }, { id: 'b1', manager_id: 'b' }, { id: 'b2', manager_id: 'b' }, { id: 'b3', manager_id: 'b' }];
  // Mon..Sat: b's three people and a's own three (b, a1, a2) work; Sunday only b's three and a1.
  const grid = WEEK.map((_, di) => people.map((p) => p.id !== 'a' && (di < 6 || p.id !== 'a2' && p.id !== 'b')));
  // Sunday: team(a) has 4 active, team(b) 3 (released): team(a) Sunday is suppressed (a1 alone
  // left), yet week(a) - week(b) - sum over Mon..Sat of (day(a) - day(b)) would be a1's Sunday.
  assert.deepEqual(isolatable(people, grid, k, 'outsider'), []);
});

test('property: no combination of released day and week cells of any teams isolates fewer than k people', () => {
  const small = fc.integer({ min: 4, max: 8 }).chain((n) =>
    fc.record({
      managers: fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
      grid: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: 7, maxLength: 7 }),
      k: fc.integer({ min: 3, max: 4 }),
      viewer: fc.integer({ min: -1, max: n - 1 }),
    }),
  );
  fc.assert(
    fc.property(small, ({ managers, grid, k, viewer }) => {
      const people: Person[] = [{ id: 'p0', manager_id: null }];
      for (let i = 1; i < grid[0]!.length; i++) people.push({ id: `p${i}`, manager_id: `p${managers[i - 1]! % i}` });
      const v = viewer < 0 ? 'outsider' : `p${viewer}`;
      assert.deepEqual(isolatable(people, grid, k, v), [], 'a combination of released cells isolates these people');
    }),
    { numRuns: 150 },
  );
});

test('property: the compact form (contributors and totals summed per cell over the members, as SQL reads them) gives the very same cells as per-person data', () => {
  const DAYS = ['2026-11-02', '2026-11-03', '2026-11-04'];
  const gen = fc.integer({ min: 3, max: 12 }).chain((n) =>
    fc.record({
      managers: fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
      // Per day, category and person: nothing, or active / idle / work-hours seconds with milliseconds.
      figures: fc.array(fc.option(fc.record({ active: fc.integer({ min: 0, max: 36_000_000 }), idle: fc.integer({ min: 0, max: 3_600_000 }), work: fc.integer({ min: 0, max: 100 }) }), { nil: undefined }), { minLength: n * DAYS.length * 2, maxLength: n * DAYS.length * 2 }),
      k: fc.integer({ min: 3, max: 4 }),
      viewer: fc.integer({ min: -1, max: n - 1 }),
      root: fc.integer({ min: -1, max: n - 1 }),
      // Someone outside the team with data of their own: the totals leave them out.
      outsider: fc.boolean(),
    }),
  );
  fc.assert(
    fc.property(gen, ({ managers, figures, k, viewer, root, outsider }) => {
      const n = managers.length + 1;
      const people: Person[] = [{ id: 'p0', manager_id: null }];
      for (let i = 1; i < n; i++) people.push({ id: `p${i}`, manager_id: `p${managers[i - 1]! % i}` });
      const tree = buildTree(people);
      const r = root < 0 ? null : `p${root}`;
      const members = r === null ? people.map((p) => p.id) : teamOf(tree, r);
      const v = viewer < 0 ? 'outsider' : `p${viewer}`;
      const data: DayData = new Map();
      let x = 0;
      for (const day of DAYS) {
        for (const cat of ['dev', 'ops']) {
          const m = new Map<string, { active: number; idle: number; work: number }>();
          for (const p of people) {
            const f = figures[x++];
            // Milliseconds as the rollups hold them; work-hours time is part of active time.
            if (f) m.set(p.id, { active: f.active / 1000, idle: f.idle / 1000, work: Math.min(f.active, f.work * 36_000) / 1000 });
          }
          if (outsider) m.set('outsider', { active: 1234.5, idle: 1, work: 0 });
          data.set(`${day}|${cat}`, m);
        }
      }
      const totals = new Map([...data].map(([key, m]) => {
        const inTeam = [...m].filter(([p]) => members.includes(p));
        const sum = (g: (f: { active: number; idle: number; work: number }) => number) => inTeam.reverse().reduce((s, [, f]) => s + g(f), 0);
        return [key, { contributors: new Set(inTeam.filter(([, f]) => f.active + f.idle > 0).map(([p]) => p)), total: { active: sum((f) => f.active), idle: sum((f) => f.idle), work: sum((f) => f.work) } }];
      }));
      for (const period of ['day', 'week'] as const) {
        const o = { tree, root: r, members, days: DAYS, categories: ['dev', 'ops'], viewer: v, k, period };
        assert.deepEqual(aggregateCells({ ...o, data: new Map(), totals }), aggregateCells({ ...o, data }));
      }
    }),
    { numRuns: 300 },
  );
});
