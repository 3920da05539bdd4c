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
import { isUniqueViolation, type Database, type Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import { recordAudit, type AuditActor, type AuditEntry } from '../platform/audit.js';
import { sealActorPii } from '../audit/index.js';
import { sequencerFor } from '../platform/audit-sequencer.js';
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
  // A batch spans a few days: each day's date string is made once, not once per interval.
  const dayStrings = new Map<number, string>();
  for (const r of rows) {
    for (let day = Math.floor(r.start / DAY_MS) * DAY_MS; day < r.end; day += DAY_MS) {
      const lo = Math.max(r.start, day);
      const hi = Math.min(r.end, day + DAY_MS);
      const secs = (hi - lo) / 1000;
      let dayStr = dayStrings.get(day);
      if (dayStr === undefined) dayStrings.set(day, (dayStr = new Date(day).toISOString().slice(0, 10)));
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
  // The distinct days first (integer division), then their months: a batch spans a few days,
  // and a date string per row would cost more than the rest of this check.
  const days = new Set<number>();
  for (const r of rows) days.add(Math.floor(r.start / DAY_MS));
  const months = new Set([...days].map((d) => new Date(d * DAY_MS).toISOString().slice(0, 7)));
  let known = monthsEnsured.get(db);
  if (!known) monthsEnsured.set(db, (known = new Set()));
  for (const m of months) {
    if (known.has(m)) continue;
    await db.tx({ tenantId, actor: 'system:pulse-partitions' }, (q) => q.query(`SELECT pulse_ensure_partition($1::date)`, [`${m}-01`]));
    known.add(m);
  }
}

/**
 * SHA-256 of the batch's content in a fixed field order (the schema allows no other fields):
 * the same batch re-sent with its keys in another order or other whitespace has the same
 * digest. JSON.stringify of arrays in a fixed order costs a tenth of a full RFC 8785
 * canonicalisation, on the ingest hot path.
 */
export function batchDigest(batch: PulseBatch): Buffer {
  // One update of the joined text: the same bytes, so the same digest, as one update per
  // interval, without a call into the hash per interval.
  const parts = new Array<string>(batch.intervals.length + 1);
  parts[0] = JSON.stringify([batch.schema, batch.batch_id, batch.created_at]);
  let k = 1;
  for (const i of batch.intervals) parts[k++] = JSON.stringify([i.id, i.start, i.end, i.state, i.app, i.category, i.domain]);
  return createHash('sha256').update('parapet.pulse.batch-digest/v2\n').update(parts.join('')).digest();
}

/** The digest batches stored before {@link batchDigest} carry: SHA-256 of the RFC 8785 canonical JSON. */
export function canonicalBatchDigest(batch: PulseBatch): Buffer {
  return createHash('sha256').update(canonicalJsonBytes(batch)).digest();
}

const same = (a: Row, b: Row) => a.start === b.start && a.end === b.end && a.state === b.state && a.app === b.app && a.category === b.category && a.domain === b.domain;

type Sums = ReturnType<typeof rollupsOf>;
const rollupParams = (sums: Sums) => [sums.map((x) => x.day), sums.map((x) => x.category), sums.map((x) => x.active), sums.map((x) => x.idle), sums.map((x) => x.paused), sums.map((x) => x.work), sums.map((x) => x.n)];
const intervalParams = (rows: Row[]) => [rows.map((x) => x.start), rows.map((x) => x.id), rows.map((x) => x.end), rows.map((x) => x.state), rows.map((x) => x.app), rows.map((x) => x.category), rows.map((x) => x.domain)];
const ROLLUP_UPSERT = `ON CONFLICT (tenant_id, day, user_id, category) DO UPDATE SET active_s = d.active_s + excluded.active_s, idle_s = d.idle_s + excluded.idle_s,
         paused_s = d.paused_s + excluded.paused_s, work_s = d.work_s + excluded.work_s, intervals = d.intervals + excluded.intervals`;

/**
 * Stores one batch in the caller's tenant transaction `q`: batch row, new intervals, rollup
 * increments and the audit entry. Throws ProblemError 409 `pulse_batch_replayed` (already
 * received, same content, from this device or another device of the same person; `receipt`
 * holds the first answer), `pulse_batch_conflict` (same batch_id, other content or another
 * person) or `pulse_interval_conflict` (an interval id already stored with
 * other content); the caller's transaction then rolls back, so nothing is half-written.
 *
 * Round trips: the common case (a new batch of new intervals) is one statement: the batch
 * row, the lookup of the interval ids already stored, the intervals, the rollup increments and
 * the audit entry, as data-modifying CTEs over arrays. Intervals already stored take a second
 * path that compares their content, stores only the new ones and audits in a statement of its
 * own.
 *
 * Per row, the common case is a plain INSERT ... SELECT FROM unnest: no ON CONFLICT (its
 * speculative insertion costs a second index probe per row) and no RETURNING. The lookup has
 * already found none of the ids stored for this person around these times; a row that still
 * collides on the key (tenant, start, id) was stored by a concurrent upload of the same
 * intervals, and its unique violation refuses the whole batch (409 pulse_interval_conflict).
 */
export async function storeBatch(
  q: Queryable,
  o: { tenantId: string; deviceId: string; userId: string; actor: AuditActor; batch: PulseBatch; rows: Row[]; merged: number; settings: PulseSettings; now: Date },
): Promise<Receipt> {
  const { tenantId, batch, rows } = o;
  const digest = batchDigest(batch);
  // Interval ids already stored for this person near these times are duplicates (same
  // content) or conflicts; the window bounds the index range the lookup reads.
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    if (r.start < lo) lo = r.start;
    if (r.end > hi) hi = r.end;
  }
  const sums = rollupsOf(rows, o.settings);
  // The audit entry of the common case (no interval stored before), written by the same
  // statement: what recordAudit writes, with the actor's personal fields sealed the same way.
  const entry: AuditEntry = {
    action: 'pulse.batch.received',
    outcome: 'success',
    target: { type: 'pulse_batch', id: batch.batch_id },
    details: { subject: o.userId, intervals: batch.intervals.length, accepted: rows.length, duplicates: 0, merged: o.merged },
  };
  const actor = await sealActorPii(q, tenantId, o.actor);
  let res: { received_at: Date | null; audit_id: number | null; inserted?: number; existing: Array<{ id: string; s: number; e: number; state: number; app: string | null; category: string | null; domain: string | null }> } | undefined;
  try {
    [res] = (await q.query<NonNullable<typeof res>>(
    `WITH t AS (SELECT * FROM unnest($9::bigint[], $10::uuid[], $11::bigint[], $12::smallint[], $13::text[], $14::text[], $15::text[]) AS t(s, id, e, st, app, cat, dom)),
     ex AS (SELECT id, (extract(epoch FROM start_at) * 1000)::bigint AS s, (extract(epoch FROM end_at) * 1000)::bigint AS e, state, app, category, domain
              FROM pulse_intervals WHERE user_id = $4 AND start_at >= $16 AND start_at < $17 AND id = ANY($10::uuid[])),
     b AS (INSERT INTO pulse_batches (tenant_id, batch_id, device_id, user_id, digest, received_at, interval_count, accepted, duplicates)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8 - (SELECT count(*) FROM ex), (SELECT count(*) FROM ex))
           ON CONFLICT (tenant_id, batch_id) DO NOTHING RETURNING received_at),
     go AS (SELECT 1 FROM b WHERE NOT EXISTS (SELECT 1 FROM ex)),
     ins AS (INSERT INTO pulse_intervals (tenant_id, start_at, id, end_at, user_id, device_id, state, app, category, domain)
             SELECT $1, to_timestamp(s / 1000.0), id, to_timestamp(e / 1000.0), $4, $3, st, app, cat, dom FROM t WHERE EXISTS (SELECT 1 FROM go)),
     roll AS (INSERT INTO pulse_daily AS d (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals)
              SELECT $1, day, $4, cat, a, i, p, w, n FROM unnest($18::date[], $19::text[], $20::float8[], $21::float8[], $22::float8[], $23::float8[], $24::int[]) AS r(day, cat, a, i, p, w, n)
               WHERE EXISTS (SELECT 1 FROM go)
              ${ROLLUP_UPSERT}),
     au AS (INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details)
            SELECT $1, $25, $26, $27, $28, $29, $30, $31, $32, NULL, $33, $34::jsonb WHERE EXISTS (SELECT 1 FROM go) RETURNING id)
     SELECT (SELECT received_at FROM b) AS received_at, (SELECT id FROM au) AS audit_id,
            (SELECT coalesce(json_agg(ex), '[]'::json) FROM ex) AS existing`,
      [tenantId, batch.batch_id, o.deviceId, o.userId, digest, o.now, batch.intervals.length, rows.length, ...intervalParams(rows),
        new Date(rows.length ? lo - DAY_MS : 0), new Date(rows.length ? hi + DAY_MS : 0), ...rollupParams(sums),
        actor.type, actor.id, actor.name ?? null, actor.ip ?? null, actor.userAgent ?? null, entry.action, entry.target!.type, entry.target!.id, entry.outcome, JSON.stringify(entry.details)],
    )).rows;
  } catch (e) {
    if (isUniqueViolation(e)) throw new ProblemError(409, 'pulse_interval_conflict', 'Some intervals of this batch were stored by a concurrent upload; send the batch again.');
    throw e;
  }
  if (!res?.received_at) {
    const prev = (await q.query<{ digest: Buffer; device_id: string; user_id: string; received_at: Date; interval_count: number; accepted: number; duplicates: number }>(
      `SELECT digest, device_id, user_id, received_at, interval_count, accepted, duplicates FROM pulse_batches WHERE batch_id = $1`, [batch.batch_id],
    )).rows[0]!;
    const stored = Buffer.from(prev.digest);
    // The same person's machine enrolled again (a new device) re-sends what its queue held,
    // perhaps a batch whose answer it never received: that is a replay too, not a conflict.
    if ((stored.equals(digest) || stored.equals(canonicalBatchDigest(batch))) && (prev.device_id === o.deviceId || prev.user_id === o.userId)) {
      const receipt: Receipt = { batch_id: batch.batch_id, received_at: new Date(prev.received_at).toISOString(), intervals: prev.interval_count, accepted: prev.accepted, duplicates: prev.duplicates, merged: 0 };
      throw new ProblemError(409, 'pulse_batch_replayed', 'This batch was received before; nothing was stored again.', { receipt });
    }
    throw new ProblemError(409, 'pulse_batch_conflict', 'A different batch with this batch_id was received before; give a new batch a new id.');
  }
  let fresh = rows;
  let duplicates = 0;
  if (res.audit_id !== null) {
    // The common case: every interval was new and is stored, with the audit entry.
    q.afterCommit?.((db) => sequencerFor(db).kick(tenantId));
    return { batch_id: batch.batch_id, received_at: new Date(res.received_at).toISOString(), intervals: batch.intervals.length, accepted: rows.length, duplicates: 0, merged: o.merged };
  }
  if (res.existing.length) {
    const byId = new Map(res.existing.map((r) => [r.id, { id: r.id, start: Number(r.s), end: Number(r.e), state: r.state as 0 | 1 | 2, app: r.app, category: r.category, domain: r.domain }]));
    fresh = [];
    for (const r of rows) {
      const had = byId.get(r.id);
      if (!had) fresh.push(r);
      else if (same(had, r)) duplicates++;
      else throw new ProblemError(409, 'pulse_interval_conflict', `Interval ${r.id} was received before with other content.`, { interval_id: r.id });
    }
    if (fresh.length) {
      const ins = await q.query(
        `INSERT INTO pulse_intervals (tenant_id, start_at, id, end_at, user_id, device_id, state, app, category, domain)
         SELECT $1, to_timestamp(s / 1000.0), id, to_timestamp(e / 1000.0), $2, $3, st, app, cat, dom
           FROM unnest($4::bigint[], $5::uuid[], $6::bigint[], $7::smallint[], $8::text[], $9::text[], $10::text[]) AS t(s, id, e, st, app, cat, dom)
         ON CONFLICT (tenant_id, start_at, id) DO NOTHING`,
        [tenantId, o.userId, o.deviceId, ...intervalParams(fresh)],
      );
      res.inserted = ins.rowCount;
      await q.query(
        `INSERT INTO pulse_daily AS d (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals)
         SELECT $1, day, $2, cat, a, i, p, w, n FROM unnest($3::date[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::int[]) AS t(day, cat, a, i, p, w, n)
         ${ROLLUP_UPSERT}`,
        [tenantId, o.userId, ...rollupParams(rollupsOf(fresh, o.settings))],
      );
    } else res.inserted = 0;
  }
  // A concurrent upload of the same intervals won the race: those rows are its to count.
  if (res.inserted !== fresh.length) throw new ProblemError(409, 'pulse_interval_conflict', 'Some intervals of this batch were stored by a concurrent upload; send the batch again.');
  const receipt: Receipt = { batch_id: batch.batch_id, received_at: new Date(res.received_at).toISOString(), intervals: batch.intervals.length, accepted: fresh.length, duplicates, merged: o.merged };
  await recordAudit(q, tenantId, o.actor, {
    action: 'pulse.batch.received',
    outcome: 'success',
    target: { type: 'pulse_batch', id: batch.batch_id },
    details: { subject: o.userId, intervals: receipt.intervals, accepted: receipt.accepted, duplicates, merged: o.merged },
  });
  return receipt;
}
