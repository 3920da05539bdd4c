/**
 * k-anonymity with a differencing defence for Pulse aggregates (PULSE-ANALYTICS).
 *
 * Query shapes are fixed: a team is always a manager's whole reporting chain below them (never
 * an arbitrary list of people), the org is everyone; cells are aligned to UTC days or ISO
 * weeks and to one category each; no answer carries a total over categories or over the
 * requested range. So a cell's value and whether it is released depend only on the cell
 * itself, never on the query that asked for it: overlapping date ranges and category filters
 * return the same cells and cannot be subtracted from one another.
 *
 * What can still be subtracted is nested groups (the teams form a tree: team(B) inside
 * team(A) when B reports to A) and nested periods (a week and its days). The rule, per cell,
 * counting only people the viewer does not know (the viewer's own data is known to them):
 *
 *   n(G)    distinct people of team G active in the cell;
 *   m(G)    the people in the largest released teams strictly inside G (a released child
 *           team counts whole; an unreleased one passes on its own m);
 *   base(G) = n(G) - m(G): what is left of G after subtracting every released subteam;
 *   released(G) iff n(G) >= k and base(G) is 0 or >= k.
 *
 * Any difference an attacker can form from released cells (G minus any set of released
 * nested teams) is base(G) plus, for each maximal released subteam, either all of it (>= k)
 * or such a difference inside it (by induction 0 or >= k): never 1 to k-1 people.
 *
 * Weeks: a week cell is the sum of the team's released day cells of that week (days whose
 * cell is suppressed are left out and counted in `omitted_days`), released when at least one
 * of its days is. Every week cell is then a sum of released day cells, so days and weeks
 * together, of any teams, under any purpose, isolate nothing the day cells alone do not: the
 * family per day is laminar and the days are disjoint. (A week that also counted its
 * suppressed days could be combined with other teams' weeks and days to isolate a few people
 * of one suppressed day: week(A) - week(B) - the days both released of A and of B.)
 */

/** Per-person figures for one cell (seconds). */
export interface Figures {
  active: number;
  idle: number;
  work: number;
}

/** A reporting tree: person -> direct reports. Roots are people with no manager (in the set). */
export interface OrgTree {
  children: Map<string, string[]>;
  roots: string[];
}

export function buildTree(people: Array<{ id: string; manager_id: string | null }>): OrgTree {
  const ids = new Set(people.map((p) => p.id));
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const p of people) {
    if (p.manager_id && ids.has(p.manager_id) && p.manager_id !== p.id) {
      let c = children.get(p.manager_id);
      if (!c) children.set(p.manager_id, (c = []));
      c.push(p.id);
    } else roots.push(p.id);
  }
  return { children, roots };
}

/** Everyone below `root` (direct and indirect reports), not `root` itself. */
export function teamOf(tree: OrgTree, root: string): string[] {
  const out: string[] = [];
  const stack = [...(tree.children.get(root) ?? [])];
  const seen = new Set<string>([root]);
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    out.push(x);
    stack.push(...(tree.children.get(x) ?? []));
  }
  return out;
}

/** One released or suppressed aggregate cell. */
export interface Cell {
  /** Day (YYYY-MM-DD) or the Monday of the ISO week. */
  period: string;
  category: string;
  released: boolean;
  /** Distinct people in the cell (only when released). */
  people?: number;
  active_s?: number;
  idle_s?: number;
  work_s?: number;
  /**
   * Paused time (s): only on a person's own cells of the `paused` category (answerQuestion at
   * person level). Paused intervals carry no category (core batch schema), so their rollups are
   * the `''` category, which the aggregates here never read: paused time is in no team or org
   * cell, and a person who only paused is not a contributor counted towards k.
   */
  paused_s?: number;
  /** Week cells: days of the week (in the range asked) whose day cell is suppressed, left out of the figures. */
  omitted_days?: number;
}

/** figures[cellKey][person] where cellKey = `${day}|${category}`. */
export type DayData = Map<string, Map<string, Figures>>;

/**
 * The compact form of a cell's data, per cellKey: who contributes (active + idle > 0) and the
 * figures summed over every member of the team the cell is about. A member who does not
 * contribute has no active, idle or work-hours time, so the sum over every member is the sum
 * over the contributors; and the people a released cell sums (aggregateCells: the contributors
 * below the root, the viewer among them when they are a member) are exactly the contributors
 * among the members. So a released cell has the same figures from either form, and the
 * release decision reads only who contributes.
 */
export type DayTotals = Map<string, { contributors: Set<string>; total: Figures }>;

interface NodeStat {
  /** contributors (not the viewer) in team(X) */
  set: Set<string>;
  /** people in maximal released subteams strictly inside team(X) */
  m: number;
  released: boolean;
}

/**
 * Release status of team(root) (or of the org when root is null) for every cell, computed
 * bottom-up over the whole subtree. `active(p)` says whether p contributes to the cell.
 */
function evaluate(tree: OrgTree, root: string | null, contributes: (p: string) => boolean, viewer: string, k: number): NodeStat {
  const visit = (x: string | null): NodeStat => {
    const kids = x === null ? tree.roots : (tree.children.get(x) ?? []);
    const set = new Set<string>();
    let m = 0;
    for (const c of kids) {
      if (c !== viewer && contributes(c)) set.add(c);
      const grand = tree.children.get(c);
      if (!grand || grand.length === 0) continue;
      const st = visit(c);
      for (const p of st.set) set.add(p);
      m += st.released ? st.set.size : st.m;
    }
    const n = set.size;
    const base = n - m;
    return { set, m, released: n >= k && (base === 0 || base >= k) };
  };
  return visit(root);
}

/** Monday (YYYY-MM-DD) of the ISO week of a day. */
export function weekOf(day: string): string {
  const t = Date.parse(day + 'T00:00:00Z');
  const dow = (new Date(t).getUTCDay() + 6) % 7;
  return new Date(t - dow * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Figures rounded to whole milliseconds: the rollups hold sums of millisecond-bounded
 * intervals, and sums in another order (per person here, per cell in SQL) then agree exactly,
 * so a cell's figures, and the noise drawn from them (dp.ts), do not depend on how it was read.
 */
const ms = (f: Figures): Figures => ({ active: Math.round(f.active * 1000) / 1000, idle: Math.round(f.idle * 1000) / 1000, work: Math.round(f.work * 1000) / 1000 });

function sumFigures(data: Map<string, Figures> | undefined, people: Iterable<string>, viewer: string, viewerIn: boolean): Figures {
  const f = { active: 0, idle: 0, work: 0 };
  if (!data) return f;
  const add = (p: string) => {
    const x = data.get(p);
    if (x) (f.active += x.active), (f.idle += x.idle), (f.work += x.work);
  };
  for (const p of people) add(p);
  if (viewerIn) add(viewer);
  return f;
}

/**
 * The aggregate cells of team(root) (root null: the org) for the given days and categories,
 * per day or per ISO week, with k-anonymity and the differencing rule above applied.
 * `members` is team(root) (or everyone), used to add the viewer's own contribution back into
 * released values when the viewer is a member.
 *
 * The data comes per person (`data`) or, for the same result with far fewer rows to read, as
 * `totals` ({@link DayTotals}, summed over exactly `members`); `data` is not read when
 * `totals` is given.
 */
export function aggregateCells(o: {
  tree: OrgTree;
  root: string | null;
  members: string[];
  days: string[];
  categories: string[];
  data: DayData;
  totals?: DayTotals | undefined;
  viewer: string;
  k: number;
  period: 'day' | 'week';
}): Cell[] {
  const viewerIn = o.members.includes(o.viewer);
  const totals = o.totals;
  const contributesOn = (day: string, cat: string): ((p: string) => boolean) => {
    if (totals) {
      const c = totals.get(`${day}|${cat}`)?.contributors;
      return (p: string) => !!c?.has(p);
    }
    const d = o.data.get(`${day}|${cat}`);
    return (p: string) => {
      const f = d?.get(p);
      return !!f && f.active + f.idle > 0;
    };
  };
  const dayCell = (day: string, cat: string): Cell & { set?: Set<string> } => {
    const st = evaluate(o.tree, o.root, contributesOn(day, cat), o.viewer, o.k);
    if (!st.released) return { period: day, category: cat, released: false };
    const viewerActive = viewerIn && contributesOn(day, cat)(o.viewer);
    const f = ms(totals ? (totals.get(`${day}|${cat}`)?.total ?? { active: 0, idle: 0, work: 0 }) : sumFigures(o.data.get(`${day}|${cat}`), st.set, o.viewer, viewerActive));
    if (viewerActive) st.set.add(o.viewer);
    return { period: day, category: cat, released: true, people: st.set.size, active_s: f.active, idle_s: f.idle, work_s: f.work, set: st.set };
  };
  const out: Cell[] = [];
  if (o.period === 'day') {
    for (const day of o.days) {
      for (const cat of o.categories) {
        const { set: _set, ...c } = dayCell(day, cat);
        out.push(c);
      }
    }
    return out;
  }
  const weeks = new Map<string, string[]>();
  for (const d of o.days) {
    const w = weekOf(d);
    let l = weeks.get(w);
    if (!l) weeks.set(w, (l = []));
    l.push(d);
  }
  for (const [week, days] of weeks) {
    for (const cat of o.categories) {
      const people = new Set<string>();
      const f = { active: 0, idle: 0, work: 0 };
      let released = 0;
      let omitted = 0;
      for (const d of days) {
        const c = dayCell(d, cat);
        if (c.released) {
          released++;
          for (const p of c.set!) people.add(p);
          f.active += c.active_s!;
          f.idle += c.idle_s!;
          f.work += c.work_s!;
        } else omitted++;
      }
      if (!released) out.push({ period: week, category: cat, released: false });
      else out.push({ period: week, category: cat, released: true, people: people.size, active_s: f.active, idle_s: f.idle, work_s: f.work, omitted_days: omitted });
    }
  }
  return out;
}
