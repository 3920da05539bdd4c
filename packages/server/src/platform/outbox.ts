/**
 * Transactional outbox (migration 0012): durable, tenant-scoped messages for side effects
 * outside the database (webhooks, notifications, ...), written in the business transaction
 * and delivered after it commits.
 *
 * Usage:
 *
 *   // in the business transaction (a rollback leaves no message)
 *   await enqueueOutbox(q, tenantId, 'siem.event', { ... }, { dedupeKey: entryId });
 *
 *   // once per process, by the module that owns the topic
 *   outboxFor(deps.db).consume('siem.event', async (m) => { await post(m.payload); });
 *
 *   // periodic drain (retries, other processes' messages, crash recovery)
 *   defineOutboxJob(deps.jobs, deps.db);
 *
 * Guarantees:
 *  - At least once: a message is marked delivered only in the transaction that ran its
 *    consumer successfully; a consumer failure (or a crash mid-delivery) leaves it pending.
 *    Consumers must therefore be idempotent; `OutboxMessage.id` is stable across attempts
 *    (e.g. the `webhook-id` of Standard Webhooks).
 *  - No concurrent duplicates: drainers take due rows with `FOR UPDATE SKIP LOCKED` and hold
 *    the row lock while the consumer runs, so two drainers (in any process) never deliver the
 *    same message at the same time.
 *  - Retries: after a failure, `attempts` + 1 and `next_attempt_at` = now + the topic's
 *    backoff: capped exponential with jitter (`outboxBackoffMs`; default 1 s × 2^(n-1), at
 *    most 1 h, ±20 %; a consumer sets its own with `consume(topic, fn, { backoff })`). After
 *    `max_attempts` (per message, default 12) the message is dead-lettered (`state = 'dead'`)
 *    and stays until `replayOutbox`. A consumer may also end a message at once: an outcome
 *    of `dead` (dead letter now) or `cancelled` (the destination refused it for good).
 *  - Per-tenant order of first attempts follows `id` (commit order is not guaranteed between
 *    overlapping transactions); a retried message does not hold back later ones.
 *  - A failed `prepare` (the batch read of a topic) counts as a failed attempt for each of
 *    the topic's messages in the batch, like a consumer failure.
 *  - Messages of a topic without a consumer in this process wait (pending) until one is
 *    registered; they are not counted as failures.
 */
import type { Database, Queryable } from '@parapet/db';
import type { JobRunner } from './jobs.js';

/** A message as a consumer receives it. */
export interface OutboxMessage<P = unknown> {
  /** Stable id (per tenant) across attempts and replays: use it as the idempotency key. */
  id: string;
  tenantId: string;
  topic: string;
  payload: P;
  /** Failed attempts before this one. */
  attempts: number;
  createdAt: Date;
}

/**
 * What a consumer decided about one message, when it has more to say than "delivered"
 * (return nothing) or "retry" (throw; the error message is kept as last_error).
 */
export interface OutboxOutcome {
  /** delivered; retry (with backoff, dead after max_attempts); dead (dead letter now); cancelled (never retried, replayable by id). */
  result: 'delivered' | 'retry' | 'dead' | 'cancelled';
  /** Kept as last_error (first 1000 characters). */
  error?: string;
  /**
   * Writes that go with the outcome (a delivery log, disabling a destination...), run in the
   * drainer's transaction, one message at a time, before the message's state is updated.
   * An SQL error here rolls back the whole batch, whose messages are then retried.
   */
  record?: (q: Queryable) => Promise<void>;
}

/**
 * Delivers one message. Resolve with nothing when it was delivered, throw to have it retried
 * (the error message is kept as last_error), or resolve with an OutboxOutcome.
 */
export type OutboxConsumer<P = unknown, C = unknown> = (m: OutboxMessage<P>, ctx: C) => Promise<void | OutboxOutcome>;

/**
 * Retry schedule after failures: the delay before attempt n+1 is
 * min(capMs, baseMs × factor^(n-1)) × (1 - jitter + 2 × jitter × r), r uniform in [0, 1).
 */
export interface BackoffPolicy {
  /** Delay after the first failure, ms (before jitter). */
  baseMs: number;
  /** Growth per further failure (≥ 1). */
  factor: number;
  /** Largest delay before jitter, ms. */
  capMs: number;
  /** Relative jitter, 0 ≤ jitter < 1 (0.2: each delay is 80-120 % of the nominal one). */
  jitter: number;
}

/** The platform default: 1 s, doubling, at most 1 h, ±20 %. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 1000, factor: 2, capMs: 3600_000, jitter: 0.2 });

/** Per-topic options of `Outbox.consume`. */
export interface ConsumeOptions<P = unknown, C = unknown> {
  /**
   * Reads what the batch's consumers need (in the drainer's transaction, once per topic per
   * batch, before any consumer runs); its result is the consumers' second argument. When it
   * throws (an SQL error included: it runs under a savepoint), none of the topic's messages in
   * the batch is delivered and each counts one failed attempt ("prepare failed: ..." as
   * last_error), with the topic's backoff and dead letter after max_attempts. Consumers
   * must not open transactions of their own while the drainer holds its one (PGlite has a
   * single connection), so this is where they read.
   */
  prepare?: (q: Queryable, messages: readonly OutboxMessage<P>[]) => Promise<C>;
  /**
   * Writes that go with all of the topic's outcomes of one batch at once (a delivery log as
   * one multi-row INSERT rather than one per message), in the drainer's transaction, after
   * each outcome's own `record` and before the messages' states are updated; items in id
   * order. An SQL error rolls back the batch, like one in `record`.
   */
  recordBatch?: (q: Queryable, done: ReadonlyArray<{ message: OutboxMessage<P>; outcome: OutboxOutcome }>) => Promise<void>;
  /** Retry schedule of the topic's messages (missing fields from DEFAULT_BACKOFF). */
  backoff?: Partial<BackoffPolicy>;
  /** Messages of the topic delivered at once within one batch (1-64, default 1). */
  concurrency?: number;
}

export interface EnqueueOptions {
  /** One message per (tenant, topic, dedupeKey): a second enqueue with the key is ignored. */
  dedupeKey?: string;
  /** First attempt not before now + delayMs (ms). */
  delayMs?: number;
  /** Attempts before the message is dead-lettered (1-100, default 12). */
  maxAttempts?: number;
  /** The clock of `delayMs` (default the database's now()). */
  now?: Date;
  /**
   * Records a message that the caller already delivered inline (a synchronous send), so it
   * appears in logs with the others: `delivered`, or `cancelled` when that one attempt failed
   * and must not be retried. Such a message is never drained.
   */
  settled?: 'delivered' | 'cancelled';
}

const TOPIC = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

/** Thrown by `enqueueOutbox` for a malformed topic or option. */
export class OutboxError extends Error {
  override name = 'OutboxError';
}

/**
 * Writes a message in the caller's transaction (`q` from `db.tx({ tenantId })`) and, when the
 * transaction commits, starts draining the tenant's outbox. Returns the message id, or
 * undefined when `dedupeKey` matched an existing message.
 * @param topic `domain.event` style, lower case (e.g. `siem.audit_event`), at most 100 chars
 * @param payload any JSON value
 * @throws OutboxError for a bad topic or option
 */
export async function enqueueOutbox(q: Queryable, tenantId: string, topic: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string | undefined> {
  if (!TOPIC.test(topic) || topic.length > 100) throw new OutboxError(`"${topic}" is not an outbox topic (lower-case dotted words).`);
  const max = opts.maxAttempts ?? 12;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw new OutboxError('maxAttempts must be an integer from 1 to 100.');
  const delay = opts.delayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0) throw new OutboxError('delayMs must be a non-negative number.');
  const at = opts.now ? new Date(opts.now.getTime() + delay) : null;
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO outbox (tenant_id, topic, payload, dedupe_key, max_attempts, next_attempt_at, state, attempts, delivered_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $7::double precision = 0 THEN NULL ELSE COALESCE($6::timestamptz, now() + make_interval(secs => $7::double precision / 1000)) END,
             COALESCE($8, 'pending'), CASE WHEN $8 = 'cancelled' THEN 1 ELSE 0 END, CASE WHEN $8 = 'delivered' THEN COALESCE($6::timestamptz, now()) END)
     ON CONFLICT (tenant_id, topic, dedupe_key) DO NOTHING RETURNING id::text AS id`,
    [tenantId, topic, JSON.stringify(payload), opts.dedupeKey ?? null, max, at, delay, opts.settled ?? null],
  );
  if (opts.settled) return rows[0]?.id;
  q.afterCommit?.((db) => kickAfterCommit(db, tenantId));
  return rows[0]?.id;
}

function kickAfterCommit(db: Database, tenantId: string): Promise<DrainReport> | undefined {
  const o = outboxFor(db);
  return o.automatic ? o.kick(tenantId, db) : undefined;
}

/**
 * Backoff before attempt n+1 after n failed attempts, in ms (see BackoffPolicy).
 * @param rand a uniform draw in [0, 1); 0.5 gives the nominal delay
 * @throws OutboxError for a policy out of range
 */
export function outboxBackoffMs(failedAttempts: number, policy: Partial<BackoffPolicy> = DEFAULT_BACKOFF, rand = 0.5): number {
  const p = { ...DEFAULT_BACKOFF, ...policy };
  if (!(p.baseMs > 0 && p.factor >= 1 && p.capMs >= p.baseMs && p.jitter >= 0 && p.jitter < 1)) throw new OutboxError('A backoff needs baseMs > 0, factor ≥ 1, capMs ≥ baseMs and 0 ≤ jitter < 1.');
  const nominal = Math.min(p.capMs, p.baseMs * p.factor ** Math.max(0, failedAttempts - 1));
  return Math.round(nominal * (1 - p.jitter + 2 * p.jitter * Math.min(Math.max(rand, 0), 1)));
}

/** What one drain pass did. */
export interface DrainReport {
  delivered: number;
  /** Failed attempts that will be retried. */
  failed: number;
  /** Messages dead-lettered or cancelled in this pass. */
  dead: number;
}

/** The outbox of one database: its consumers and its drainer. Get it with `outboxFor(db)`. */
export class Outbox {
  private readonly consumers = new Map<string, { fn: OutboxConsumer; backoff: BackoffPolicy; concurrency: number; prepare: ((q: Queryable, ms: readonly OutboxMessage[]) => Promise<unknown>) | undefined; recordBatch: ConsumeOptions['recordBatch'] }>();
  private readonly running = new Map<string, Promise<DrainReport>>();
  private readonly again = new Set<string>();
  /** The clock next_attempt_at is compared with (tests inject theirs). */
  now: () => Date = () => new Date();
  /** Rows taken per transaction. */
  batch = 20;
  /** The jitter draw, uniform in [0, 1) (tests inject theirs). */
  rand: () => number = Math.random;
  /**
   * False: messages are drained only by explicit `drainAll`/`drainTenant`/`kick` calls, never
   * after a commit or by the periodic job (tests that drive the clock themselves).
   */
  automatic = true;
  /** Called for every failed delivery (for the log). */
  onError: (e: unknown, m: OutboxMessage) => void = () => undefined;

  constructor(readonly db: Database) {}

  /**
   * Registers (or replaces) the consumer of a topic in this process.
   * @throws OutboxError for a bad topic, backoff or concurrency
   */
  consume<P = unknown, C = undefined>(topic: string, fn: OutboxConsumer<P, C>, opts: ConsumeOptions<P, C> = {}): void {
    if (!TOPIC.test(topic)) throw new OutboxError(`"${topic}" is not an outbox topic (lower-case dotted words).`);
    const backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    outboxBackoffMs(1, backoff); // validates
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new OutboxError('concurrency must be an integer from 1 to 64.');
    this.consumers.set(topic, { fn: fn as OutboxConsumer, backoff, concurrency, prepare: opts.prepare as ((q: Queryable, ms: readonly OutboxMessage[]) => Promise<unknown>) | undefined, recordBatch: opts.recordBatch as ConsumeOptions['recordBatch'] });
  }

  /** Topics with a consumer here. */
  topics(): string[] {
    return [...this.consumers.keys()];
  }

  /**
   * Drains a tenant now (after a commit). Coalesced: while a drain of the tenant runs in this
   * process, one more pass is queued after it. Never rejects.
   * @param db the database to drain through; post-commit work passes the one `afterCommit`
   *   hands over, since a wrapper that waits for post-commit work would wait for itself.
   */
  kick(tenantId: string, db: Database = this.db): Promise<DrainReport> {
    const cur = this.running.get(tenantId);
    if (cur) {
      this.again.add(tenantId);
      return cur;
    }
    const p = (async () => {
      const total: DrainReport = { delivered: 0, failed: 0, dead: 0 };
      do {
        this.again.delete(tenantId);
        try {
          const r = await this.drainTenant(tenantId, db);
          total.delivered += r.delivered;
          total.failed += r.failed;
          total.dead += r.dead;
        } catch (e) {
          this.onError(e, { id: '', tenantId, topic: '', payload: undefined, attempts: 0, createdAt: this.now() });
        }
      } while (this.again.has(tenantId));
      return total;
    })().finally(() => this.running.delete(tenantId));
    this.running.set(tenantId, p);
    return p;
  }

  /**
   * Delivers every message of the tenant that is due, batch by batch, each batch in one
   * transaction holding its rows' locks. Rows locked by another drainer are skipped.
   */
  async drainTenant(tenantId: string, db: Database = this.db): Promise<DrainReport> {
    const total: DrainReport = { delivered: 0, failed: 0, dead: 0 };
    const topics = this.topics();
    if (!topics.length) return total;
    const seen = new Set<string>(); // a message failed in this pass is not retried in it
    for (;;) {
      const now = this.now();
      const took = await db.tx({ tenantId, actor: 'system:outbox' }, async (q) => {
        const { rows } = await q.query<{ id: string; topic: string; payload: unknown; attempts: number; max_attempts: number; created_at: Date }>(
          `SELECT id::text AS id, topic, payload, attempts, max_attempts, created_at FROM outbox
            WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1) AND topic = ANY($2::text[]) AND NOT (id::text = ANY($3::text[]))
            ORDER BY id LIMIT ${this.batch} FOR UPDATE SKIP LOCKED`,
          [now, topics, [...seen]],
        );
        // Consumers run at once up to their topic's concurrency; their outcomes are then
        // written one at a time, in id order, in this transaction.
        const msgs = rows.map((r): OutboxMessage => ({ id: r.id, tenantId, topic: r.topic, payload: r.payload, attempts: r.attempts, createdAt: new Date(r.created_at) }));
        const ctx = new Map<string, unknown>();
        // A topic whose prepare() failed: its messages are not handed to the consumer; the
        // failure counts as one attempt for each of them (backoff, dead letter at the limit),
        // so a read that keeps failing cannot make the drainer spin on the same batch.
        const unprepared = new Map<string, string>();
        for (const topic of new Set(rows.map((r) => r.topic))) {
          const c = this.consumers.get(topic)!;
          if (!c.prepare) continue;
          const batch = msgs.filter((m) => m.topic === topic);
          // A savepoint keeps the transaction usable after an SQL error in prepare() (on
          // PostgreSQL an error aborts the whole transaction otherwise).
          await q.query('SAVEPOINT outbox_prepare');
          try {
            ctx.set(topic, await c.prepare(q, batch));
            await q.query('RELEASE SAVEPOINT outbox_prepare');
          } catch (e) {
            await q.query('ROLLBACK TO SAVEPOINT outbox_prepare');
            await q.query('RELEASE SAVEPOINT outbox_prepare');
            unprepared.set(topic, `prepare failed: ${String((e as Error)?.message ?? e)}`);
            for (const m of batch) this.onError(e, m);
          }
        }
        const outcomes = await runLimited(rows, (r) => this.consumers.get(r.topic)!.concurrency, async (r): Promise<OutboxOutcome> => {
          seen.add(r.id);
          const m = msgs.find((x) => x.id === r.id)!;
          const why = unprepared.get(r.topic);
          if (why !== undefined) return { result: 'retry', error: why };
          try {
            return (await this.consumers.get(r.topic)!.fn(m, ctx.get(r.topic))) ?? { result: 'delivered' };
          } catch (e) {
            this.onError(e, m);
            return { result: 'retry', error: String((e as Error)?.message ?? e) };
          }
        });
        // The batch's new states go in one statement (one round trip, not one per message),
        // after the outcomes' own writes; all of it commits or rolls back together.
        const upd = { id: [] as string[], attempts: [] as number[], state: [] as string[], next: [] as (string | null)[], err: [] as (string | null)[] };
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          const o = outcomes[i]!;
          await o.record?.(q);
          const err = o.error === undefined ? null : o.error.slice(0, 1000);
          let attempts = r.attempts;
          let state = 'delivered';
          let next: Date | null = null;
          if (o.result === 'delivered') total.delivered++;
          else {
            attempts++;
            state = o.result === 'cancelled' ? 'cancelled' : o.result === 'dead' || attempts >= r.max_attempts ? 'dead' : 'pending';
            if (state === 'pending') {
              next = new Date(now.getTime() + outboxBackoffMs(attempts, this.consumers.get(r.topic)!.backoff, this.rand()));
              total.failed++;
            } else total.dead++;
          }
          upd.id.push(r.id);
          upd.attempts.push(attempts);
          upd.state.push(state);
          upd.next.push(next?.toISOString() ?? null);
          upd.err.push(state === 'delivered' ? null : err);
        }
        for (const topic of new Set(rows.map((r) => r.topic))) {
          const rb = this.consumers.get(topic)!.recordBatch;
          if (rb) await rb(q, msgs.flatMap((m, i) => (m.topic === topic ? [{ message: m, outcome: outcomes[i]! }] : [])));
        }
        if (rows.length) {
          await q.query(
            `UPDATE outbox o SET state = u.state, attempts = u.attempts, next_attempt_at = CASE WHEN u.state = 'delivered' THEN o.next_attempt_at ELSE u.next END,
                    last_error = u.err, delivered_at = CASE WHEN u.state = 'delivered' THEN $6::timestamptz ELSE o.delivered_at END
               FROM unnest($1::bigint[], $2::int[], $3::text[], $4::timestamptz[], $5::text[]) AS u(id, attempts, state, next, err)
              WHERE o.id = u.id`,
            [upd.id, upd.attempts, upd.state, upd.next, upd.err, now],
          );
        }
        return rows.length;
      });
      if (took < this.batch) return total;
    }
  }

  /** Tenants with messages due now (ids only). */
  async dueTenants(): Promise<string[]> {
    return this.db.tx({ listTenants: true, actor: 'system:outbox' }, async (q) => (await q.query<{ t: string }>(`SELECT t::text AS t FROM outbox_due_tenants($1) AS t`, [this.now()])).rows.map((r) => r.t));
  }

  /** One periodic pass: every tenant with due messages. */
  async drainAll(): Promise<DrainReport> {
    const total: DrainReport = { delivered: 0, failed: 0, dead: 0 };
    for (const t of await this.dueTenants()) {
      const r = await this.kick(t);
      total.delivered += r.delivered;
      total.failed += r.failed;
      total.dead += r.dead;
    }
    return total;
  }
}

// Kept on the Database object itself (a symbol property) rather than in a WeakMap, so a
// wrapper of the database (a Proxy, as the test helpers use) and the database that
// `afterCommit` hands over reach the same Outbox.
const OUTBOX = Symbol.for('parapet.outbox');

/** The one Outbox of a database in this process (created on first use). */
export function outboxFor(db: Database): Outbox {
  const held = (db as unknown as Record<symbol, Outbox | undefined>)[OUTBOX];
  if (held) return held;
  const o = new Outbox(db);
  Object.defineProperty(db, OUTBOX, { value: o, enumerable: false });
  return o;
}

/**
 * Runs `fn` over `items` with at most `limit(item)` calls in flight per topic (topics run
 * side by side); results keep the input order.
 */
async function runLimited<T extends { topic: string }, R>(items: readonly T[], limit: (t: T) => number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  const byTopic = new Map<string, number[]>();
  items.forEach((t, i) => byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), i]));
  await Promise.all(
    [...byTopic.values()].map(async (idx) => {
      const queue = [...idx];
      const lanes = Math.min(limit(items[idx[0]!]!), idx.length);
      await Promise.all(Array.from({ length: lanes }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) out[i] = await fn(items[i]!);
      }));
    }),
  );
  return out;
}

/** Declares the periodic drain (`outbox.drain`, every `everyMs`, default 5 s) on a job runner; it does nothing while the outbox is not `automatic`. */
export function defineOutboxJob(jobs: JobRunner, db: Database, everyMs = 5000): void {
  jobs.define({ name: 'outbox.drain', everyMs, run: async () => { const o = outboxFor(db); return o.automatic ? o.drainAll() : { delivered: 0, failed: 0, dead: 0 }; } });
}

/** A message as `listOutbox` shows it. */
export interface OutboxRow {
  id: string;
  topic: string;
  state: 'pending' | 'delivered' | 'dead' | 'cancelled';
  attempts: number;
  /** Null: due at once. */
  nextAttemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A tenant's messages, newest first (`state` filters). */
export async function listOutbox(q: Queryable, o: { state?: OutboxRow['state']; topic?: string; limit?: number } = {}): Promise<OutboxRow[]> {
  const { rows } = await q.query<{ id: string; topic: string; state: OutboxRow['state']; attempts: number; next_attempt_at: Date | null; last_error: string | null; created_at: Date; delivered_at: Date | null }>(
    `SELECT id::text AS id, topic, state, attempts, next_attempt_at, last_error, created_at, delivered_at FROM outbox
      WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR topic = $2) ORDER BY id DESC LIMIT $3`,
    [o.state ?? null, o.topic ?? null, Math.min(Math.max(o.limit ?? 100, 1), 1000)],
  );
  return rows.map((r) => ({ id: r.id, topic: r.topic, state: r.state, attempts: r.attempts, nextAttemptAt: r.next_attempt_at ? new Date(r.next_attempt_at) : null, lastError: r.last_error, createdAt: new Date(r.created_at), deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null }));
}

/**
 * Replays messages (in the caller's tenant transaction): dead-lettered ones by default, or
 * the given ids in any state. They become pending with attempts reset and are drained after
 * commit. Returns the ids replayed.
 */
export async function replayOutbox(q: Queryable, tenantId: string, o: { ids?: string[]; topic?: string; now?: Date } = {}): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $3::timestamptz, last_error = NULL, delivered_at = NULL
      WHERE ${o.ids ? `id::text = ANY($1::text[])` : `state = 'dead' AND $1::text[] IS NULL`} AND ($2::text IS NULL OR topic = $2)
      RETURNING id::text AS id`,
    [o.ids ?? null, o.topic ?? null, o.now ?? null],
  );
  if (rows.length) q.afterCommit?.((db) => kickAfterCommit(db, tenantId));
  return rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
}
