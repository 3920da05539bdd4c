/**
 * Pulse ingest (PULSE-UPLOAD, server side): a parsed batch from an agent whose owner is a
 * person becomes interval rows and daily rollup increments, with the batch row and its audit
 * entry, in one transaction.
 *
 * Idempotency: the batch by `batch_id` (same id, same canonical-JSON digest: a replay; other
 * content: a conflict), each interval by its `id` (an interval already stored with the same
 * content is counted as a duplicate and not written again; with other content the whole batch
 * is refused). Overlaps inside a batch are merged (same state, app, category and domain) or
 * clipped (a later interval starts where the earlier one ended).
 */
import { createHash } from 'node:crypto';
import { canonicalJsonBytes, type PulseBatch, type PulseInterval } from '@parapet/core';
import type { Database, Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import { recordAudit, type AuditActor } from '../audit/record.js';
import type { PulseSettings } from './settings.js';

const STATE_CODE = { active: 0, idle: 1, paused: 2 } as const;
const DAY_MS = 86_400_000;

/** An interval ready to store: times in ms since the epoch. */
export interface Row {
  id: string;
  start: number;
  end: number;
  state: 0 | 1 | 2;
  app: string | null;
  category: string | null;
  domain: string | null;
}

export interface Receipt {
  batch_id: string;
  received_at: string;
  intervals: number;
  accepted: number;
  duplicates: number;
  merged: number;
}

/**
 * Sorts by start and resolves overlaps: an interval overlapping the previous one with the same
 * state, app, category and domain extends it; otherwise it is clipped to start at the previous
 * end, and dropped when nothing is left. Returns the rows and how many were merged or dropped.
 */
export function resolveOverlaps(intervals: PulseInterval[]): { rows: Row[]; merged: number } {
  const sorted = intervals
    .map((i): Row => ({ id: i.id, start: Date.parse(i.start), end: Date.parse(i.end), state: STATE_CODE[i.state], app: i.app, category: i.category, domain: i.domain }))
    .sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : 1));
  const out: Row[] = [];
  let merged = 0;
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r.start < prev.end) {
      if (prev.state === r.state && prev.app === r.app && prev.category === r.category && prev.domain === r.domain) {
        // A merged interval never outgrows the 24 h bound the table checks.
        if (r.end > prev.end && r.end - prev.start <= DAY_MS) prev.end = r.end;
        else if (r.end > prev.end) out.push({ ...r, start: prev.end });
        merged++;
        continue;
      }
      if (r.end <= prev.end) {
        merged++;
        continue;
      }
      out.push({ ...r, start: prev.end });
      merged++;
      continue;
    }
    out.push({ ...r });
  }
  return { rows: out, merged };
}

/** Seconds of [start, end) inside the tenant's work hours (UTC hours on ISO weekdays). */
export function workSeconds(start: number, end: number, s: Pick<PulseSettings, 'workStartHour' | 'workEndHour' | 'workDays'>): number {
  let total = 0;
  for (let day = Math.floor(start / DAY_MS) * DAY_MS; day < end; day += DAY_MS) {
    const iso = ((new Date(day).getUTCDay() + 6) % 7) + 1;
    if (!s.workDays.includes(iso)) continue;
    const lo = Math.max(start, day + s.workStartHour * 3_600_000);
    const hi = Math.min(end, day + s.workEndHour * 3_600_000);
    if (hi > lo) total += hi - lo;
  }
  return total / 1000;
}

/** Per (UTC day, category) sums for the rollup table. */
export function rollupsOf(rows: Row[], s: Pick<PulseSettings, 'workStartHour' | 'workEndHour' | 'workDays'>): Array<{ day: string; category: string; active: number; idle: number; paused: number; work: number; n: number }> {
  const acc = new Map<string, { day: string; category: string; active: number; idle: number; paused: number; work: number; n: number }>();
  for (const r of rows) {
    for (let day = Math.floor(r.start / DAY_MS) * DAY_MS; day < r.end; day += DAY_MS) {
      const lo = Math.max(r.start, day);
      const hi = Math.min(r.end, day + DAY_MS);
      const secs = (hi - lo) / 1000;
      const dayStr = new Date(day).toISOString().slice(0, 10);
      const category = r.category ?? '';
      const k = `${dayStr}|${category}`;
      let a = acc.get(k);
      if (!a) acc.set(k, (a = { day: dayStr, category, active: 0, idle: 0, paused: 0, work: 0, n: 0 }));
      if (r.state === 0) {
        a.active += secs;
        a.work += workSeconds(lo, hi, s);
      } else if (r.state === 1) a.idle += secs;
      else a.paused += secs;
      // An interval counts once, on the day it starts.
      if (lo === r.start) a.n++;
    }
  }
  return [...acc.values()];
}

/** Months whose partition is known to exist, per database. */
const monthsEnsured = new WeakMap<Database, Set<string>>();

/**
 * Makes sure the monthly partitions for these rows exist, each in its own short transaction
 * (creating a partition locks the parent; the ingest transaction should not hold that lock).
 */
export async function ensurePartitions(db: Database, tenantId: string, rows: Array<{ start: number }>): Promise<void> {
  const months = new Set(rows.map((r) => new Date(r.start).toISOString().slice(0, 7)));
  let known = monthsEnsured.get(db);
  if (!known) monthsEnsured.set(db, (known = new Set()));
  for (const m of months) {
    if (known.has(m)) continue;
    await db.tx({ tenantId, actor: 'system:pulse-partitions' }, (q) => q.query(`SELECT pulse_ensure_partition($1::date)`, [`${m}-01`]));
    known.add(m);
  }
}

export function batchDigest(batch: PulseBatch): Buffer {
  return createHash('sha256').update(canonicalJsonBytes(batch)).digest();
}

const same = (a: Row, b: Row) => a.start === b.start && a.end === b.end && a.state === b.state && a.app === b.app && a.category === b.category && a.domain === b.domain;

/**
 * Stores one batch in the caller's tenant transaction `q`: batch row, new intervals, rollup
 * increments and the audit entry. Throws ProblemError 409 `pulse_batch_replayed` (already
 * received, same content; `receipt` holds the first answer), `pulse_batch_conflict` (same
 * batch_id, other content) or `pulse_interval_conflict` (an interval id already stored with
 * other content); the caller's transaction then rolls back, so nothing is half-written.
 */
export async function storeBatch(
  q: Queryable,
  o: { tenantId: string; deviceId: string; userId: string; actor: AuditActor; batch: PulseBatch; rows: Row[]; merged: number; settings: PulseSettings; now: Date },
): Promise<Receipt> {
  const { tenantId, batch, rows } = o;
  const digest = batchDigest(batch);
  const ins = await q.query<{ received_at: Date }>(
    `INSERT INTO pulse_batches (tenant_id, batch_id, device_id, user_id, digest, received_at, interval_count, accepted, duplicates)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0) ON CONFLICT (tenant_id, batch_id) DO NOTHING RETURNING received_at`,
    [tenantId, batch.batch_id, o.deviceId, o.userId, digest, o.now, batch.intervals.length],
  );
  if (!ins.rows[0]) {
    const prev = (await q.query<{ digest: Buffer; device_id: string; received_at: Date; interval_count: number; accepted: number; duplicates: number }>(
      `SELECT digest, device_id, received_at, interval_count, accepted, duplicates FROM pulse_batches WHERE batch_id = $1`, [batch.batch_id],
    )).rows[0]!;
    if (Buffer.from(prev.digest).equals(digest) && prev.device_id === o.deviceId) {
      const receipt: Receipt = { batch_id: batch.batch_id, received_at: new Date(prev.received_at).toISOString(), intervals: prev.interval_count, accepted: prev.accepted, duplicates: prev.duplicates, merged: 0 };
      throw new ProblemError(409, 'pulse_batch_replayed', 'This batch was received before; nothing was stored again.', { receipt });
    }
    throw new ProblemError(409, 'pulse_batch_conflict', 'A different batch with this batch_id was received before; give a new batch a new id.');
  }
  // Interval ids already stored for this person near these times: duplicates or conflicts.
  let fresh = rows;
  let duplicates = 0;
  if (rows.length) {
    const lo = Math.min(...rows.map((r) => r.start)) - DAY_MS;
    const hi = Math.max(...rows.map((r) => r.end)) + DAY_MS;
    const existing = await q.query<{ id: string; s: string; e: string; state: number; app: string | null; category: string | null; domain: string | null }>(
      `SELECT id, (extract(epoch FROM start_at) * 1000)::bigint::text AS s, (extract(epoch FROM end_at) * 1000)::bigint::text AS e, state, app, category, domain
         FROM pulse_intervals WHERE user_id = $1 AND start_at >= $2 AND start_at < $3 AND id = ANY($4::uuid[])`,
      [o.userId, new Date(lo), new Date(hi), rows.map((r) => r.id)],
    );
    if (existing.rows.length) {
      const byId = new Map(existing.rows.map((r) => [r.id, { id: r.id, start: Number(r.s), end: Number(r.e), state: r.state as 0 | 1 | 2, app: r.app, category: r.category, domain: r.domain }]));
      fresh = [];
      for (const r of rows) {
        const had = byId.get(r.id);
        if (!had) fresh.push(r);
        else if (same(had, r)) duplicates++;
        else throw new ProblemError(409, 'pulse_interval_conflict', `Interval ${r.id} was received before with other content.`, { interval_id: r.id });
      }
    }
  }
  if (fresh.length) {
    const r = await q.query(
      `INSERT INTO pulse_intervals (tenant_id, start_at, id, end_at, user_id, device_id, state, app, category, domain)
       SELECT $1, to_timestamp(s / 1000.0), id, to_timestamp(e / 1000.0), $2, $3, st, app, cat, dom
         FROM unnest($4::bigint[], $5::uuid[], $6::bigint[], $7::smallint[], $8::text[], $9::text[], $10::text[]) AS t(s, id, e, st, app, cat, dom)
       ON CONFLICT (tenant_id, start_at, id) DO NOTHING`,
      [tenantId, o.userId, o.deviceId, fresh.map((x) => x.start), fresh.map((x) => x.id), fresh.map((x) => x.end), fresh.map((x) => x.state), fresh.map((x) => x.app), fresh.map((x) => x.category), fresh.map((x) => x.domain)],
    );
    // A concurrent upload of the same intervals won the race: those rows are its to count.
    if (r.rowCount !== fresh.length) throw new ProblemError(409, 'pulse_interval_conflict', 'Some intervals of this batch were stored by a concurrent upload; send the batch again.');
    const sums = rollupsOf(fresh, o.settings);
    await q.query(
      `INSERT INTO pulse_daily AS d (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals)
       SELECT $1, day, $2, cat, a, i, p, w, n FROM unnest($3::date[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::int[]) AS t(day, cat, a, i, p, w, n)
       ON CONFLICT (tenant_id, day, user_id, category) DO UPDATE SET active_s = d.active_s + excluded.active_s, idle_s = d.idle_s + excluded.idle_s,
         paused_s = d.paused_s + excluded.paused_s, work_s = d.work_s + excluded.work_s, intervals = d.intervals + excluded.intervals`,
      [tenantId, o.userId, sums.map((x) => x.day), sums.map((x) => x.category), sums.map((x) => x.active), sums.map((x) => x.idle), sums.map((x) => x.paused), sums.map((x) => x.work), sums.map((x) => x.n)],
    );
  }
  await q.query(`UPDATE pulse_batches SET accepted = $2, duplicates = $3 WHERE batch_id = $1`, [batch.batch_id, fresh.length, duplicates]);
  const receipt: Receipt = { batch_id: batch.batch_id, received_at: new Date(ins.rows[0].received_at).toISOString(), intervals: batch.intervals.length, accepted: fresh.length, duplicates, merged: o.merged };
  await recordAudit(q, tenantId, o.actor, {
    action: 'pulse.batch.received',
    outcome: 'success',
    target: { type: 'pulse_batch', id: batch.batch_id },
    details: { subject: o.userId, intervals: receipt.intervals, accepted: receipt.accepted, duplicates, merged: o.merged },
  });
  return receipt;
}
