/**
 * Pulse questions (PULSE-ANALYTICS, PULSE-ACCESS): time per category per person / team / org
 * per day or week, answered from the daily rollups only. The PDP decides who may ask (Cedar,
 * policies/30-pulse.cedar) given the purpose's grants; k-anonymity and the differencing
 * defence (kanon.ts) decide which aggregate cells are released; the read and its purpose go to
 * the audit log in the transaction that reads.
 */
import type { Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import { type AuditActor, recordAudit } from '../platform/audit.js';
import { type Resource, decide } from '../platform/pdp.js';
import { delegatedCategories, subjectRelations } from '../auth/index.js';
import type { UserPrincipal } from '../platform/principal.js';
import { LEVELS, type Level, PERIODS, type Period, type PulseSettings, loadSettings, purposeOf } from './settings.js';
import { noisyCell } from './dp.js';
import { answerKey, spendBudget, type DpBudget } from './budget.js';
import { aggregateCells, buildTree, teamOf, weekOf, type Cell, type DayData, type DayTotals, type OrgTree } from './kanon.js';
import type { Answer, Question } from './schemas.js';

export type { Answer, Question };

const DAY_MS = 86_400_000;
/** Longest range one question may cover (days). */
export const MAX_RANGE_DAYS = 366;
/**
 * Aggregates cover only days that ended at least this long ago (ms): the agents' uploads for
 * a day have arrived by then, and a cell read before and after a late upload could otherwise
 * be subtracted to isolate that upload.
 */
export const SETTLE_MS = DAY_MS;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** A real calendar day in YYYY-MM-DD (Date.parse alone accepts 2026-02-31). */
export const isDay = (s: string | undefined): s is string => !!s && DAY_RE.test(s) && Number.isFinite(Date.parse(s)) && iso(Date.parse(s)) === s;

/** Checks and normalises a question; throws 400 pulse_question_invalid. */
export function normalise(qn: Partial<Question>): Question {
  const bad = (d: string) => new ProblemError(400, 'pulse_question_invalid', d);
  if (!qn.purpose) throw bad('Name a purpose from your organisation\'s list.');
  if (!LEVELS.includes(qn.level as Level)) throw bad('level must be person, team or org.');
  if (!PERIODS.includes(qn.period as Period)) throw bad('period must be day or week.');
  if (!isDay(qn.from) || !isDay(qn.to)) throw bad('from and to must be days (YYYY-MM-DD).');
  let from = qn.from;
  let to = qn.to;
  if (qn.period === 'week') {
    from = weekOf(from);
    to = iso(Date.parse(weekOf(to)) + 6 * DAY_MS);
  }
  const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (span < 1) throw bad('to must not be before from.');
  if (span > MAX_RANGE_DAYS + 6) throw bad(`A question covers at most ${MAX_RANGE_DAYS} days.`);
  if (qn.level !== 'org' && !qn.subject) throw bad('Person and team questions name a subject.');
  if (qn.level === 'org' && qn.subject) throw bad('Org questions name no subject.');
  return { purpose: qn.purpose, level: qn.level as Level, period: qn.period as Period, from, to, subject: qn.subject, category: qn.category };
}

/** The resource the PDP decides on, with the subject's manager chain. */
export async function resourceOf(q: Queryable, tenantId: string, qn: Question): Promise<Resource> {
  const attrs: Record<string, unknown> = { level: qn.level, period: qn.period };
  if (qn.subject) Object.assign(attrs, await subjectRelations(q, qn.subject));
  if (qn.category) attrs.category = qn.category;
  return { type: 'pulse_activity', id: qn.subject ?? 'org', tenantId, attrs };
}

/** The reporting tree of active people. */
export async function orgTree(q: Queryable): Promise<{ tree: OrgTree; people: Array<{ id: string; manager_id: string | null; display_name: string; email: string }> }> {
  const { rows } = await q.query<{ id: string; manager_id: string | null; display_name: string; email: string }>(`SELECT id, manager_id, display_name, email FROM users WHERE status = 'active' ORDER BY display_name, email`);
  return { tree: buildTree(rows), people: rows };
}

/**
 * The org chart each given ISO week's aggregates are computed on: the chart stored at the
 * week's first question (migration 0511), stored now from the current active people when this
 * is that first question. `q` is the question's tenant transaction; two first questions at
 * once serialise on the week's row, and the second reads what the first stored.
 * @param mondays YYYY-MM-DD, each a Monday.
 * @returns per Monday: the tree and everyone in it.
 */
export async function chartsAsOf(q: Queryable, mondays: string[]): Promise<Map<string, { tree: OrgTree; people: string[] }>> {
  const out = new Map<string, { tree: OrgTree; people: string[] }>();
  if (!mondays.length) return out;
  const weeks = [...new Set(mondays)].sort();
  const read = () => q.query<{ week: string; people: string[]; managers: Array<string | null> }>(`SELECT to_char(week, 'YYYY-MM-DD') AS week, people, managers FROM pulse_week_charts WHERE week = ANY($1::date[])`, [weeks]);
  let { rows } = await read();
  if (rows.length < weeks.length) {
    const have = new Set(rows.map((r) => r.week));
    await q.query(
      `INSERT INTO pulse_week_charts (tenant_id, week, people, managers)
       SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid, w, c.people, c.managers
         FROM unnest($1::date[]) AS w, (SELECT coalesce(array_agg(id ORDER BY id), '{}') AS people, coalesce(array_agg(manager_id ORDER BY id), '{}') AS managers FROM users WHERE status = 'active') c
       ON CONFLICT (tenant_id, week) DO NOTHING`,
      [weeks.filter((w) => !have.has(w))],
    );
    ({ rows } = await read());
  }
  for (const r of rows) {
    const people = r.people.map((id, i) => ({ id, manager_id: r.managers[i] ?? null }));
    out.set(r.week, { tree: buildTree(people), people: r.people });
  }
  return out;
}

function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += DAY_MS) out.push(iso(t));
  return out;
}

/**
 * Decides (PDP) and, when allowed, answers one question and audits the read with its purpose.
 * A noisy (differentially private) answer is charged to the viewer's ε budget first
 * (pulse/budget.ts: a repeat of an answer already given is free), and the spend is in the
 * read's audit entry. Throws 400 pulse_purpose_unknown, 403 forbidden and 429
 * pulse_dp_budget_exhausted (the caller audits both refusals in a transaction of its own:
 * see routes.ts), 404 pulse_subject_unknown.
 */
export async function ask(q: Queryable, p: UserPrincipal, actor: AuditActor, input: Partial<Question>, now: Date, o: { audit: 'pulse.activity.read' | 'pulse.activity.exported' } = { audit: 'pulse.activity.read' }): Promise<Answer> {
  const qn = normalise(input);
  const settings = await loadSettings(q, p.tenantId);
  const purpose = purposeOf(settings, qn.purpose);
  if (!purpose) throw new ProblemError(400, 'pulse_purpose_unknown', `Purpose ${JSON.stringify(qn.purpose)} is not on your organisation's list.`, { purposes: settings.purposes.map((x) => x.key) });
  if (qn.subject) {
    const { rows } = await q.query(`SELECT 1 FROM users WHERE id = $1`, [qn.subject]);
    if (!rows[0]) throw new ProblemError(404, 'pulse_subject_unknown', 'No such person in your organisation.');
  }
  const resource = await resourceOf(q, p.tenantId, qn);
  const ctx = { purpose: purpose.key, purposeGrants: purpose.grants, delegatedCategories: await delegatedCategories(q, p.userId) };
  const d = decide(p, 'pulse.activity.read', resource, ctx);
  if (!d.allowed) throw new PulseDenied(resource, purpose.key, d.reasons);
  const { answer, members } = await answerQuestion(q, p, qn, settings, now);
  if (answer.dp) {
    const { epsilon } = answer.dp;
    answer.dp.budget = await spendBudget(q, {
      tenantId: p.tenantId,
      userId: p.userId,
      limit: settings.dpBudget,
      period: settings.dpBudgetPeriod,
      epsilon,
      key: answerKey(settings.dpKey, answer, epsilon),
      released: answer.cells.some((c) => c.released),
      now,
    });
  }
  const subjects = qn.level === 'org' ? undefined : members;
  await recordAudit(q, p.tenantId, actor, {
    action: o.audit,
    outcome: 'success',
    target: { type: 'pulse_activity', id: qn.subject ?? 'org' },
    purpose: purpose.key,
    details: {
      level: qn.level,
      period: qn.period,
      from: qn.from,
      to: qn.to,
      category: qn.category ?? null,
      policies: d.reasons,
      cells: answer.cells.length,
      suppressed: answer.cells.filter((c) => !c.released).length,
      ...(subjects ? { subjects } : { scope: 'org' }),
      ...(answer.dp ? { dp: { epsilon: answer.dp.epsilon, ...answer.dp.budget } } : {}),
    },
  });
  return answer;
}

/** A PDP denial, with what the audit entry needs. */
export class PulseDenied extends ProblemError {
  constructor(readonly resource: Resource, readonly purpose: string, readonly reasons: string[]) {
    super(403, 'forbidden', 'Your role and this purpose do not allow this question.');
  }
}

/** The answer and the people it covers, without the access decision (the caller has made it). */
export async function answerQuestion(q: Queryable, p: UserPrincipal, qn: Question, settings: PulseSettings, now: Date): Promise<{ answer: Answer; members: string[] }> {
  const settledUntil = iso(Math.floor((now.getTime() - SETTLE_MS) / DAY_MS) * DAY_MS - DAY_MS);
  const base: Omit<Answer, 'cells' | 'people'> = { purpose: qn.purpose, level: qn.level, period: qn.period, from: qn.from, to: qn.to, subject: qn.subject ?? null, category: qn.category ?? null, k: settings.kMin, settled_until: qn.level === 'person' ? null : settledUntil };
  const known = ['uncategorized', ...settings.policy.categories.map((c) => c.key).filter((c) => c !== 'uncategorized')];
  const categories = qn.category ? [qn.category] : known;
  if (qn.level === 'person') {
    // One person's own rows: no k-anonymity (the PDP allowed exactly this person). Paused
    // time is shown to the person themselves only.
    const self = qn.subject === p.userId;
    const { rows } = await q.query<{ day: string; category: string; a: number; i: number; p: number; w: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, category, active_s AS a, idle_s AS i, paused_s AS p, work_s AS w FROM pulse_daily
        WHERE user_id = $1 AND day >= $2::date AND day <= $3::date ${qn.category ? 'AND category = $4' : ''}`,
      qn.category ? [qn.subject, qn.from, qn.to, qn.category] : [qn.subject, qn.from, qn.to],
    );
    const acc = new Map<string, Cell>();
    for (const r of rows) {
      if (r.category === '' && !self) continue;
      const period = qn.period === 'week' ? weekOf(r.day) : r.day;
      const cat = r.category === '' ? 'paused' : r.category;
      const key = `${period}|${cat}`;
      let c = acc.get(key);
      if (!c) acc.set(key, (c = { period, category: cat, released: true, people: 1, active_s: 0, idle_s: 0, work_s: 0, ...(cat === 'paused' ? { paused_s: 0 } : {}) }));
      c.active_s! += Number(r.a);
      c.idle_s! += Number(r.i);
      c.work_s! += Number(r.w);
      if (c.paused_s !== undefined) c.paused_s += Number(r.p);
    }
    const cells = [...acc.values()].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : a.category < b.category ? -1 : 1));
    return { answer: { ...base, people: 1, cells }, members: [qn.subject!] };
  }
  // Each week's cells on the org chart stored at that week's first question (chartsAsOf): a
  // served cell does not change when the chart does.
  const lastDay = qn.to < settledUntil ? qn.to : settledUntil;
  const days = qn.from <= lastDay ? daysOf(qn.from, lastDay) : [];
  const byWeek = new Map<string, string[]>();
  for (const d of days) {
    const w = weekOf(d);
    const l = byWeek.get(w);
    if (l) l.push(d);
    else byWeek.set(w, [d]);
  }
  const charts = await chartsAsOf(q, [...byWeek.keys()]);
  const teams = new Map<string, string[]>();
  const everyone = new Set<string>();
  for (const [w, { tree, people }] of charts) {
    const team = qn.level === 'org' ? people : teamOf(tree, qn.subject!);
    teams.set(w, team);
    for (const x of team) everyone.add(x);
  }
  const members = [...everyone];
  const data: DayData = new Map();
  // When every week of the question is about the same people (the usual case: their stored
  // charts agree), the rollups are summed per cell in SQL, with who contributes (DayTotals):
  // one row per day and category instead of one per person. Otherwise one row per person.
  const oneTeam = [...teams.values()].every((t) => t.length === members.length);
  let totals: DayTotals | undefined;
  if (days.length && members.length && oneTeam) {
    // Contributors come as positions in `members` (1-based), not as ids: a tenth of the bytes
    // to send and parse for a whole organisation.
    const { rows } = await q.query<{ day: string; category: string; contributors: number[] | null; a: number; i: number; w: number }>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.category, array_agg(m.ord::int) FILTER (WHERE d.active_s + d.idle_s > 0) AS contributors,
              sum(d.active_s)::float8 AS a, sum(d.idle_s)::float8 AS i, sum(d.work_s)::float8 AS w
         FROM pulse_daily d JOIN unnest($3::uuid[]) WITH ORDINALITY AS m(user_id, ord) ON m.user_id = d.user_id
        WHERE d.day >= $1::date AND d.day <= $2::date AND d.category <> '' ${qn.category ? 'AND d.category = $4' : ''}
        GROUP BY d.day, d.category`,
      [days[0], days[days.length - 1], members, ...(qn.category ? [qn.category] : [])],
    );
    totals = new Map(rows.map((r) => [`${r.day}|${r.category}`, { contributors: new Set((r.contributors ?? []).map((i) => members[i - 1]!)), total: { active: Number(r.a), idle: Number(r.i), work: Number(r.w) } }]));
  } else if (days.length && members.length) {
    const teamFilter = qn.level === 'team' ? 'AND user_id = ANY($3::uuid[])' : '';
    const catFilter = qn.category ? `AND category = $${qn.level === 'team' ? 4 : 3}` : '';
    const params = [days[0], days[days.length - 1], ...(qn.level === 'team' ? [members] : []), ...(qn.category ? [qn.category] : [])];
    const { rows } = await q.query<{ day: string; user_id: string; category: string; a: number; i: number; w: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, user_id, category, active_s AS a, idle_s AS i, work_s AS w FROM pulse_daily
        WHERE day >= $1::date AND day <= $2::date AND category <> '' ${teamFilter} ${catFilter}`,
      params,
    );
    for (const r of rows) {
      const key = `${r.day}|${r.category}`;
      let m = data.get(key);
      if (!m) data.set(key, (m = new Map()));
      m.set(r.user_id, { active: Number(r.a), idle: Number(r.i), work: Number(r.w) });
    }
  }
  const cells: Cell[] = [];
  for (const [w, wdays] of byWeek) {
    const { tree } = charts.get(w)!;
    const weekCells = aggregateCells({ tree, root: qn.level === 'org' ? null : qn.subject!, members: teams.get(w)!, days: wdays, categories, data, totals, viewer: p.userId, k: settings.kMin, period: qn.period });
    // Org-level trends with differential privacy on: noisy figures only (pulse/dp.ts).
    const eps = qn.level === 'org' ? settings.dpEpsilon : null;
    cells.push(...(eps ? weekCells.map((c) => noisyCell(settings.dpKey, eps, 'org', c, qn.period === 'week' ? wdays.length : 1)) : weekCells));
  }
  // Days after settled_until are not served at all: mark their cells suppressed.
  if (qn.to > lastDay) {
    const later = daysOf(days.length ? iso(Date.parse(lastDay) + DAY_MS) : qn.from, qn.to);
    const periods = new Set(later.map((d) => (qn.period === 'week' ? weekOf(d) : d)));
    for (const per of periods) {
      for (const cat of categories) {
        const existing = cells.find((c) => c.period === per && c.category === cat);
        if (existing) {
          existing.released = false;
          delete existing.people;
          delete existing.active_s;
          delete existing.idle_s;
          delete existing.work_s;
          delete existing.omitted_days;
        } else cells.push({ period: per, category: cat, released: false });
      }
    }
  }
  const dp = qn.level === 'org' && settings.dpEpsilon ? { dp: { mechanism: 'laplace' as const, epsilon: settings.dpEpsilon } } : {};
  return { answer: { ...base, people: members.length, cells, ...dp }, members };
}

/** CSV of an answer: released cells with their figures, suppressed ones marked. */
export function answerCsv(a: Answer): string {
  const lines = ['period,category,people,active_seconds,idle_seconds,work_hours_active_seconds,note'];
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const c of a.cells) {
    if (c.released) lines.push([c.period, esc(c.category), c.people ?? '', Math.round(c.active_s ?? 0), Math.round(c.idle_s ?? 0), Math.round(c.work_s ?? 0), [c.omitted_days ? `${c.omitted_days} day(s) with fewer than ${a.k} people left out` : '', a.dp ? `Laplace noise (differential privacy; epsilon ${a.dp.epsilon})` : ''].filter(Boolean).join('; ')].join(','));
    else lines.push([c.period, esc(c.category), '', '', '', '', `fewer than ${a.k} people`].join(','));
  }
  return lines.join('\n') + '\n';
}
