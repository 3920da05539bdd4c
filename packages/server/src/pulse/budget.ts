/**
 * The per-viewer differential-privacy budget (PULSE-ANALYTICS): with differential privacy on
 * (pulse/dp.ts), each viewer may spend at most `dp_budget` (ε) per `dp_budget_period` (a UTC
 * day, an ISO week or a calendar month, tenant settings; migration 0530) on noisy org-level
 * answers. A question that is refused for want of budget is answered with 429
 * `pulse_dp_budget_exhausted` and Retry-After until the next period: the viewer may ask again
 * then, as with a rate limit, whereas a 403 would say that the role or purpose forbids the
 * question, which it does not.
 *
 * What an answer costs: its ε. An answer's cells are disjoint (one per period and category,
 * each person-day in one cell of the answer), so by parallel composition releasing all of them
 * costs ε, however many cells there are. An answer with no released cell carries no noisy
 * figure and costs nothing.
 *
 * The same answer again costs nothing: the noise of each cell is drawn deterministically from
 * the tenant's DP key, the cell and its true value (dp.ts), so asking the same question again
 * (or exporting it as CSV) returns the very same figures and tells the viewer nothing new. The
 * ledger recognises a repeat by an HMAC-SHA256, under the tenant's DP key, of the answer as
 * released (its shape, ε and noisy cells), stored per viewer and period. When the truth behind
 * a cell changes (an erasure, or days that settled since), the answer differs, its cells carry
 * fresh noise, and it is charged again: it does tell the viewer something new.
 *
 * Concurrency: a viewer's spends in a period serialise on the lock of their row in
 * pulse_dp_budgets (SELECT ... FOR UPDATE in the question's transaction), and the charge and
 * the new total are written only after the check, under that lock; so two questions at once
 * cannot both fit into the last of a budget. Sums are numeric in the database, so ε values
 * such as 0.1 + 0.2 compare exactly with the budget.
 */
import { createHmac } from 'node:crypto';
import type { Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import type { Cell } from './kanon.js';

export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
/** Bounds of the tenant setting `dp_budget` (ε per viewer per period; the migration checks the same). */
export const BUDGET_MIN = 0.01;
export const BUDGET_MAX = 1000;

const DAY_MS = 86_400_000;

/** The viewer's budget as an answer reports it (ε units; days YYYY-MM-DD, instants RFC 3339). */
export interface DpBudget {
  /** ε the viewer may spend per period. */
  limit: number;
  period: BudgetPeriod;
  /** First day (UTC) of the current period. */
  period_start: string;
  /** When the next period starts and the budget is whole again. */
  resets_at: string;
  spent: number;
  remaining: number;
  /** Whether this answer was charged (false: a repeat of an answer already given, or nothing released). */
  charged: boolean;
}

/** The UTC period containing `now`: its first day and the instant the next one starts. */
export function budgetPeriod(period: BudgetPeriod, now: Date): { start: string; resetsAt: Date } {
  const day = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  let start: number;
  let next: number;
  if (period === 'day') (start = day), (next = day + DAY_MS);
  else if (period === 'week') {
    start = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS;
    next = start + 7 * DAY_MS;
  } else {
    start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  }
  return { start: new Date(start).toISOString().slice(0, 10), resetsAt: new Date(next) };
}

/**
 * The ledger key of an answer as released: HMAC-SHA256(tenant DP key, its shape, ε and cells).
 * Purpose and viewer are not part of it (the cells do not depend on them).
 */
export function answerKey(dpKey: Uint8Array, a: { level: string; period: string; from: string; to: string; category: string | null; cells: Cell[] }, epsilon: number): Buffer {
  return createHmac('sha256', dpKey).update(JSON.stringify(['parapet.pulse.dp-answer/v1', a.level, a.period, a.from, a.to, a.category, epsilon, a.cells])).digest();
}

/** A refusal for want of budget (429), with what the caller's audit entry needs. */
export class DpBudgetExhausted extends ProblemError {
  constructor(readonly budget: Omit<DpBudget, 'charged'>, readonly epsilon: number, now: Date) {
    const wait = Math.max(1, Math.ceil((Date.parse(budget.resets_at) - now.getTime()) / 1000));
    super(
      429,
      'pulse_dp_budget_exhausted',
      `This answer would cost ε = ${epsilon} and ${budget.remaining} of your ${budget.limit} is left this ${budget.period}; asked again, an answer you were already given costs nothing. The budget is whole again at ${budget.resets_at}.`,
      { budget },
      { 'retry-after': String(wait) },
    );
  }
}

const num = (s: string) => Number(s);

/**
 * Charges `epsilon` to the viewer's budget for the period containing `now`, in the caller's
 * tenant transaction `q` (the question's own, so a refused or failed question spends nothing),
 * unless the same answer (`key`, see {@link answerKey}) was charged to them in this period, or
 * `released` is false. Returns the budget after the charge.
 * @throws DpBudgetExhausted (429 pulse_dp_budget_exhausted) when the charge would exceed the budget.
 */
export async function spendBudget(q: Queryable, o: { tenantId: string; userId: string; limit: number; period: BudgetPeriod; epsilon: number; key: Buffer; released: boolean; now: Date }): Promise<DpBudget> {
  const { start, resetsAt } = budgetPeriod(o.period, o.now);
  const state = (spent: string, charged: boolean): DpBudget => ({
    limit: o.limit,
    period: o.period,
    period_start: start,
    resets_at: resetsAt.toISOString(),
    spent: num(spent),
    remaining: Math.max(0, Number((o.limit - num(spent)).toFixed(6))),
    charged,
  });
  await q.query(`INSERT INTO pulse_dp_budgets (tenant_id, user_id, period_start) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, user_id, period_start) DO NOTHING`, [o.tenantId, o.userId, start]);
  // The lock first, then (in a statement of its own, so with a snapshot taken after any spend
  // this one waited for) whether this answer was charged already.
  const { rows: [b] } = await q.query<{ spent: string }>(`SELECT spent::text AS spent FROM pulse_dp_budgets WHERE user_id = $1 AND period_start = $2 FOR UPDATE`, [o.userId, start]);
  if (!o.released) return state(b!.spent, false);
  const seen = await q.query(`SELECT 1 FROM pulse_dp_charges WHERE user_id = $1 AND period_start = $2 AND answer_key = $3`, [o.userId, start, o.key]);
  if (seen.rows.length) return state(b!.spent, false);
  const eps = String(o.epsilon);
  const { rows: [after] } = await q.query<{ spent: string }>(
    `UPDATE pulse_dp_budgets SET spent = spent + $3::numeric, answers = answers + 1, updated_at = now()
      WHERE user_id = $1 AND period_start = $2 AND spent + $3::numeric <= $4::numeric RETURNING spent::text AS spent`,
    [o.userId, start, eps, String(o.limit)],
  );
  if (!after) {
    const { charged: _c, ...budget } = state(b!.spent, false);
    throw new DpBudgetExhausted(budget, o.epsilon, o.now);
  }
  await q.query(`INSERT INTO pulse_dp_charges (tenant_id, user_id, period_start, answer_key, epsilon) VALUES ($1, $2, $3, $4, $5::numeric)`, [o.tenantId, o.userId, start, o.key, eps]);
  return state(after.spent, true);
}
