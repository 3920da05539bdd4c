/**
 * Differential privacy for org-level Pulse aggregates (PULSE-ANALYTICS, optional; tenant
 * setting `dp_epsilon`, off by default). When on, every released org-level cell's figures carry
 * Laplace noise, after k-anonymity has decided which cells are released (the release decision
 * itself is k-anonymity's, not DP's).
 *
 * Mechanism: the Laplace mechanism (Dwork, McSherry, Nissim, Smith 2006). A cell releases four
 * figures (people, active, idle and work-hours seconds); ε per cell is split equally between
 * them (sequential composition), so each gets ε/4. Sensitivity, adding or removing one person:
 * people 1; each seconds figure one person's at most 86,400 s per day of the cell (a week cell:
 * 86,400 × the days of that week the question covers, a bound that does not depend on the data). Noise scale b = sensitivity / (ε/4). Releases are rounded and
 * clamped at 0 (post-processing, which keeps the guarantee).
 *
 * Repeated questions: the noise of a figure is drawn from HMAC-SHA256(tenant DP key, the cell,
 * the figure and its true value), so the same cell asked again, by anyone, under any purpose,
 * gets the same noise and averaging repeated answers gains nothing; a cell whose true value
 * changed (an erasure) gets fresh, independent noise, so the two answers cannot be subtracted
 * to cancel it. The privacy loss of one person's day in one category is therefore bounded by
 * the cells that contain it, a day cell and a week cell: 2ε, however often they are read.
 * Each viewer also has an ε budget per period (pulse/budget.ts): every distinct noisy answer
 * costs its ε, and a repeat, being the same answer, costs nothing.
 */
import { createHmac } from 'node:crypto';
import type { Cell } from './kanon.js';

/** Seconds in a day: one person's largest contribution to a seconds figure per day. */
export const DAY_SECONDS = 86_400;
/** Bounds of the tenant setting (the migration checks the same). */
export const EPSILON_MIN = 0.01;
export const EPSILON_MAX = 10;

/**
 * A sample of Laplace(0, b) from a uniform u in (0, 1), by the inverse CDF:
 * x = -b · sgn(u - ½) · ln(1 - 2|u - ½|).
 */
export function laplaceInverse(u: number, b: number): number {
  const v = u - 0.5;
  return -b * Math.sign(v) * Math.log(1 - 2 * Math.abs(v));
}

/** A uniform in (0, 1), never 0 or 1, from the first 53 bits of HMAC-SHA256(key, label). */
export function uniformOf(key: Uint8Array, label: string): number {
  const h = createHmac('sha256', key).update(label).digest();
  const hi = h.readUInt32BE(0) >>> 5;
  const lo = h.readUInt32BE(4) >>> 6;
  return (hi * 67_108_864 + lo + 0.5) / 9_007_199_254_740_992;
}

/** Laplace scale b per figure for a cell covering `days` released days at `epsilon` per cell. */
export function scales(epsilon: number, days: number): { people: number; seconds: number } {
  const perFigure = epsilon / 4;
  return { people: 1 / perFigure, seconds: (DAY_SECONDS * days) / perFigure };
}

/**
 * The cell with its figures replaced by noisy ones (Laplace, see above); suppressed cells are
 * returned as they are. `days` is the number of days the cell covers (1 for a day cell; for a week cell the days of
 * that week in the question's range).
 * `scope` names the question shape the cell belongs to (e.g. `org`), part of the noise label.
 */
export function noisyCell(key: Uint8Array, epsilon: number, scope: string, cell: Cell, days: number): Cell {
  if (!cell.released) return cell;
  const b = scales(epsilon, Math.max(1, days));
  const noise = (figure: string, truth: number, scale: number) => {
    const x = truth + laplaceInverse(uniformOf(key, JSON.stringify([scope, cell.period, cell.category, figure, truth])), scale);
    return Math.max(0, Math.round(x));
  };
  const out: Cell = { ...cell };
  out.people = noise('people', cell.people ?? 0, b.people);
  out.active_s = noise('active_s', cell.active_s ?? 0, b.seconds);
  out.idle_s = noise('idle_s', cell.idle_s ?? 0, b.seconds);
  out.work_s = noise('work_s', cell.work_s ?? 0, b.seconds);
  return out;
}
