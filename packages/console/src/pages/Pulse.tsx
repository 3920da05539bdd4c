/**
 * Pulse pages. Insights: a question (purpose, level, period, team or person, category, dates)
 * answered as charts, top categories and a table; cells the server suppressed for
 * k-anonymity read "fewer than k people"; CSV export of exactly what is shown. The pickers
 * come from /api/v1/pulse/me/scope (the purposes that grant this person something, the teams
 * and people of their reporting chain); the server decides every question itself.
 * My Pulse data: one's own timeline and every read of one's data from the audit log.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api, ok, type Query, type ResponseBody } from '../api';
import { formatTime, useAsync } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { Chart, type ChartSeries } from '../components/Chart';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { useSession } from '../session';

type Scope = ResponseBody<'/api/v1/pulse/me/scope', 'get'>;
type Grant = Scope['purposes'][number]['grants'][number];
type Answer = ResponseBody<'/api/v1/pulse/activity', 'get'>;
type Cell = Answer['cells'][number];

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const hours = (s: number | undefined) => ((s ?? 0) / 3600).toFixed(1);
const uniq = <T,>(xs: T[]) => [...new Set(xs)];

/** Chart inputs from an answer: periods on x, one series per category, gaps where suppressed. */
function chartData(a: Answer, names: Map<string, string>) {
  const periods = uniq(a.cells.map((c) => c.period)).sort();
  const x = periods.map((p) => Date.parse(p + 'T00:00:00Z') / 1000);
  const cats = uniq(a.cells.filter((c) => c.released && (c.active_s ?? 0) > 0).map((c) => c.category)).sort();
  const at = (p: string, cat: string) => a.cells.find((c) => c.period === p && c.category === cat);
  const perCategory: ChartSeries[] = cats.map((cat) => ({ label: names.get(cat) ?? cat, values: periods.map((p) => (at(p, cat)?.released ? Number(hours(at(p, cat)!.active_s)) : null)) }));
  const sum = (p: string, f: (c: Cell) => number) => a.cells.filter((c) => c.period === p && c.released).reduce((n, c) => n + f(c), 0);
  const activeIdle: ChartSeries[] = [
    { label: 'Active', values: periods.map((p) => Number(hours(sum(p, (c) => c.active_s ?? 0)))) },
    { label: 'Idle', values: periods.map((p) => Number(hours(sum(p, (c) => c.idle_s ?? 0)))) },
  ];
  const coverage: ChartSeries[] = [
    {
      label: 'Active time inside work hours (%)',
      values: periods.map((p) => {
        const active = sum(p, (c) => c.active_s ?? 0);
        return active > 0 ? Math.round((100 * sum(p, (c) => c.work_s ?? 0)) / active) : null;
      }),
    },
  ];
  const totals = cats.map((cat) => ({ cat, name: names.get(cat) ?? cat, s: a.cells.filter((c) => c.category === cat && c.released).reduce((n, c) => n + (c.active_s ?? 0), 0) })).sort((p, q) => q.s - p.s);
  return { x, perCategory, activeIdle, coverage, totals };
}

function AnswerView({ a, names, csv }: { a: Answer; names: Map<string, string>; csv?: string }) {
  const d = useMemo(() => chartData(a, names), [a, names]);
  const suppressed = a.cells.filter((c) => !c.released).length;
  const eps = a.dp ? ` (ε = ${a.dp.epsilon}, with noise)` : '';
  const partial = a.cells.filter((c) => c.released && (c.omitted_days ?? 0) > 0).length;
  const leftOut = (c: Cell) => `${c.omitted_days} ${c.omitted_days === 1 ? 'day' : 'days'} with fewer than ${a.k} people left out`;
  const shown = a.cells.filter((c) => c.released || a.level !== 'person');
  if (!a.cells.length) return <EmptyState title="No activity in this range." />;
  return (
    <div className="stack-lg">
      {a.level !== 'person' ? (
        <Notice kind="info">
          Aggregates over {a.people} {a.people === 1 ? 'person' : 'people'}. A cell is shown only when it covers at least {a.k} people and cannot be subtracted from another to single anyone out; {suppressed} of {a.cells.length} cells are suppressed and read “fewer than {a.k} people”.
          {a.settled_until && a.to > a.settled_until ? ` Days after ${a.settled_until} are not settled yet and are not shown.` : ''}
          {partial ? ` ${partial} week ${partial === 1 ? 'figure leaves' : 'figures leave'} out days with fewer than ${a.k} people (a week is the sum of its shown days); the Note column says how many.` : ''}
        </Notice>
      ) : null}
      {a.dp ? (
        <Notice kind="info">
          Differential privacy: every figure carries Laplace noise at ε = {a.dp.epsilon} per cell (smaller ε, more noise), so no one person's time can be read from it. The same question always gets the same noise.
          {a.dp.budget ? (
            <span className="dp-budget">
              {' '}
              Your budget: ε {a.dp.budget.remaining} of {a.dp.budget.limit} left this {a.dp.budget.period} (whole again {formatTime(a.dp.budget.resets_at)}); {a.dp.budget.charged ? `this answer cost ε = ${a.dp.epsilon}` : a.cells.some((c) => c.released) ? 'this answer cost nothing (you were given it before)' : 'this answer shows no figure and cost nothing'}.
            </span>
          ) : null}
        </Notice>
      ) : null}
      <div className="chart-grid">
        <Chart title={`Active time per category${eps}`} x={d.x} series={d.perCategory} unit="hours" bars={a.period === 'week'} summary={`Active hours per category per ${a.period}, ${a.from} to ${a.to}.${eps}`} />
        <Chart title={`Active vs idle${eps}`} x={d.x} series={d.activeIdle} unit="hours" bars summary={`Active and idle hours per ${a.period}.${eps}`} />
        <Chart title={`Work-hours coverage${eps}`} x={d.x} series={d.coverage} unit="%" summary={`Share of active time inside the organisation's work hours.${eps}`} />
      </div>
      <section className="card">
        <div className="card-head">
          <h2>Top categories</h2>
          {csv ? (
            <a className="btn btn-small" href={csv} download>
              Export CSV
            </a>
          ) : null}
        </div>
        {d.totals.length ? (
          <ol>
            {d.totals.map((t) => (
              <li key={t.cat}>
                {t.name}: {hours(t.s)} h
              </li>
            ))}
          </ol>
        ) : (
          <p className="suppressed">No category has a cell with at least {a.k} people.</p>
        )}
      </section>
      <div className="table-wrap">
        <table className="table" aria-label="Cells">
          <thead>
            <tr>
              <th>{a.period === 'week' ? 'Week of' : 'Day'}</th>
              <th>Category</th>
              <th className="num">People</th>
              <th className="num">Active (h)</th>
              <th className="num">Idle (h)</th>
              <th className="num">In work hours (h)</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.period + c.category} data-released={c.released ? 'yes' : 'no'}>
                <td className="nowrap">{c.period}</td>
                <td>{names.get(c.category) ?? c.category}</td>
                {c.released ? (
                  <>
                    <td className="num">{c.people}</td>
                    <td className="num">{c.paused_s !== undefined ? `${hours(c.paused_s)} paused` : hours(c.active_s)}</td>
                    <td className="num">{hours(c.idle_s)}</td>
                    <td className="num">{hours(c.work_s)}</td>
                    <td className="omitted">{(c.omitted_days ?? 0) > 0 ? leftOut(c) : ''}</td>
                  </>
                ) : (
                  <td colSpan={5} className="suppressed">
                    fewer than {a.k} people
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * The purpose this person chose on this tab (sessionStorage, keyed by user: another person
 * signing in on the same tab chooses their own). Purpose limitation: the page never picks one.
 */
const purposeKey = (userId: string) => `parapet.pulse.purpose.${userId}`;
function chosenPurpose(userId: string, scope: Scope): string {
  const p = sessionStorage.getItem(purposeKey(userId)) ?? '';
  return scope.purposes.some((x) => x.key === p) ? p : '';
}

export function PulseInsightsPage() {
  const [scope] = useAsync(async (signal) => await ok(api.GET('/api/v1/pulse/me/scope', { signal })), []);
  if (scope.status === 'loading') return <Loading label="Loading what you may ask…" />;
  if (scope.status === 'error') return <ErrorState error={scope.error} />;
  return <Insights scope={scope.data} />;
}

function Insights({ scope }: { scope: Scope }) {
  const names = useMemo(() => new Map(scope.categories.map((c) => [c.key, c.name])), [scope]);
  const { session } = useSession();
  // No default: the viewer names the purpose of their question themselves (SPEC PULSE-ACCESS).
  const [purpose, setPurposeState] = useState(() => chosenPurpose(session.user_id, scope));
  const setPurpose = (p: string) => {
    // The answer on screen was read for the purpose it was asked under: it is not kept on
    // screen (nor its CSV link) under another one.
    if (p !== purpose) setResult(null);
    setPurposeState(p);
    if (p) sessionStorage.setItem(purposeKey(session.user_id), p);
  };
  const grants = scope.purposes.find((p) => p.key === purpose)?.grants ?? [];
  const levels = uniq(grants.map((g) => g.level));
  const [levelPick, setLevel] = useState<string>('');
  const level = levels.includes(levelPick as Grant['level']) ? levelPick : (levels[0] ?? '');
  const periods = uniq(grants.filter((g) => g.level === level).map((g) => g.period));
  const [periodPick, setPeriod] = useState<string>('');
  const period = periods.includes(periodPick as Grant['period']) ? periodPick : (periods[0] ?? '');
  const onlyDelegate = grants.filter((g) => g.level === level).every((g) => g.role === 'delegate');
  const subjects = level === 'team' ? scope.teams.map((t) => ({ id: t.id, name: `${t.name} (${t.size})` })) : level === 'person' ? scope.people.map((p) => ({ id: p.id, name: p.self ? `${p.name} (you)` : p.name })) : [];
  const [subjectPick, setSubject] = useState('');
  const subject = subjects.some((x) => x.id === subjectPick) ? subjectPick : (subjects[0]?.id ?? '');
  const [categoryPick, setCategory] = useState('');
  const category = onlyDelegate ? (scope.delegated_categories.includes(categoryPick) ? categoryPick : (scope.delegated_categories[0] ?? '')) : categoryPick;
  const settled = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
  const [from, setFrom] = useState(day(settled - 27 * DAY));
  const [to, setTo] = useState(day(settled));
  const [result, setResult] = useState<{ a: Answer; qs: string } | { error: unknown } | null>(null);
  const { busy, run } = useSubmit();

  if (!scope.purposes.length) return <EmptyState title="No purpose lets you ask Pulse questions.">Your organisation's Pulse policy grants your roles nothing beyond your own data.</EmptyState>;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!purpose) return;
    type Question = Query<'/api/v1/pulse/activity', 'get'>;
    // The pickers offer only the purpose's granted levels and periods.
    const query: Question = { purpose, level: level as Question['level'], period: period as Question['period'], from, to, ...(level !== 'org' && subject ? { subject } : {}), ...(category ? { category } : {}) };
    // The same question as CSV, for the download link.
    const qs = new URLSearchParams(query).toString();
    // A refusal is shown as the answer (ErrorState), in place of the last one.
    await run(
      async () => setResult({ a: await ok(api.GET('/api/v1/pulse/activity', { params: { query } })), qs }),
      (error) => setResult({ error }),
    );
  };

  return (
    <div className="stack-lg">
      <p className="page-intro">Every question names a purpose; the purpose decides what level and period you may see, and your question and its purpose are recorded in the audit log, where the people it is about can see it.</p>
      <form className="card stack" onSubmit={(e) => void submit(e)} aria-label="Question">
        <div className="form-row">
          <div className="field">
            <label htmlFor="pulse-purpose">Purpose</label>
            <select id="pulse-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)} required aria-describedby={purpose ? undefined : 'pulse-purpose-why'}>
              <option value="" disabled>
                Choose a purpose…
              </option>
              {scope.purposes.map((p) => (
                <option key={p.key} value={p.key}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="pulse-level">Level</label>
            <select id="pulse-level" disabled={!purpose} value={level} onChange={(e) => setLevel(e.target.value)}>
              {levels.map((l) => (
                <option key={l} value={l}>
                  {l === 'person' ? 'Person' : l === 'team' ? 'Team' : 'Whole organisation'}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="pulse-period">Period</label>
            <select id="pulse-period" disabled={!purpose} value={period} onChange={(e) => setPeriod(e.target.value)}>
              {periods.map((p) => (
                <option key={p} value={p}>
                  {p === 'day' ? 'Per day' : 'Per week'}
                </option>
              ))}
            </select>
          </div>
          {level !== 'org' ? (
            <div className="field">
              <label htmlFor="pulse-subject">{level === 'team' ? 'Team (reporting chain of)' : 'Person'}</label>
              <select id="pulse-subject" value={subject} onChange={(e) => setSubject(e.target.value)}>
                {subjects.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <div className="field">
            <label htmlFor="pulse-category">Category</label>
            <select id="pulse-category" value={category} onChange={(e) => setCategory(e.target.value)}>
              {onlyDelegate ? null : <option value="">All categories</option>}
              {(onlyDelegate ? scope.categories.filter((c) => scope.delegated_categories.includes(c.key)) : scope.categories).map((c) => (
                <option key={c.key} value={c.key}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="pulse-from">From</label>
            <input id="pulse-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="pulse-to">To</label>
            <input id="pulse-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </div>
        </div>
        <div className="button-row">
          <button className="btn btn-primary" type="submit" disabled={busy || !purpose || !level || !period}>
            {busy ? 'Asking…' : 'Show'}
          </button>
        </div>
        {purpose ? null : (
          <p id="pulse-purpose-why" className="field-hint">
            Choose the purpose of your question first. Activity data may be read only for a purpose on your organisation's list, chosen by you for this question: the purpose decides what you may see and is recorded with your question in the audit log. Nothing is asked until you choose one; your choice is kept for the rest of this browser session.
          </p>
        )}
      </form>
      {result === null ? null : 'error' in result ? <ErrorState title="The question was refused" error={result.error} /> : <AnswerView a={result.a} names={names} csv={`/api/v1/pulse/activity.csv?${result.qs}`} />}
    </div>
  );
}

type Read = ResponseBody<'/api/v1/pulse/me/reads', 'get'>['reads'][number];

export function MyPulsePage() {
  const settled = Math.floor(Date.now() / DAY) * DAY;
  const range = { from: day(settled - 27 * DAY), to: day(settled) };
  const [data] = useAsync(
    async (signal) => {
      const scope = await ok(api.GET('/api/v1/pulse/me/scope', { signal }));
      const me = scope.people.find((p) => p.self)!;
      const purpose = scope.purposes.find((p) => p.grants.some((g) => g.role === 'employee' && g.level === 'person' && g.period === 'day'));
      const answer = purpose ? await ok(api.GET('/api/v1/pulse/activity', { params: { query: { purpose: purpose.key, level: 'person', period: 'day', subject: me.id, ...range } }, signal })) : null;
      const reads = await ok(api.GET('/api/v1/pulse/me/reads', { signal }));
      return { scope, answer, reads: reads.reads };
    },
    [],
  );
  if (data.status === 'loading') return <Loading label="Loading your Pulse data…" />;
  if (data.status === 'error') return <ErrorState error={data.error} />;
  const names = new Map(data.data.scope.categories.map((c) => [c.key, c.name]));
  names.set('paused', 'Paused');
  const others = data.data.reads.filter((r) => !r.who.self);
  return (
    <div className="stack-lg">
      <p className="page-intro">Your own activity as Pulse stores it, and every time someone read data about you: who, when, for what purpose and at what level.</p>
      <section className="stack">
        <h2>Your last four weeks</h2>
        {data.data.answer ? <AnswerView a={data.data.answer} names={names} /> : <Notice kind="warning">No purpose on your organisation's list lets you see your own data.</Notice>}
      </section>
      <section className="stack">
        <h2>Who looked at your data</h2>
        {others.length === 0 ? (
          <EmptyState title="Nobody else has read your data." />
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Reads of your data">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Who</th>
                  <th>Purpose</th>
                  <th>Level</th>
                  <th>Period</th>
                  <th>Range</th>
                </tr>
              </thead>
              <tbody>
                {others.map((r) => (
                  <tr key={r.seq}>
                    <td className="nowrap">{formatTime(r.at)}</td>
                    <td>{r.who.name ?? r.who.id}</td>
                    <td>{r.purpose}</td>
                    <td>{r.level === 'person' ? 'You, in detail' : r.level === 'team' ? 'Your team, as aggregates' : 'Whole organisation, as aggregates'}{r.action === 'export' ? ' (CSV export)' : ''}</td>
                    <td>
                      {r.period}
                      {r.category ? ` (${names.get(r.category) ?? r.category} only)` : ''}
                    </td>
                    <td className="nowrap">
                      {r.from} – {r.to}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
