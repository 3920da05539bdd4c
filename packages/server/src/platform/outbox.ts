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
 *  - Retries: after a failure, `attempts` + 1 and `next_attempt_at` = now + backoff
 *    (1 s × 2^(attempts-1), at most 1 h). After `max_attempts` (default 12) the message is
 *    dead-lettered (`state = 'dead'`) and stays until `replayOutbox`.
 *  - Per-tenant order of first attempts follows `id` (commit order is not guaranteed between
 *    overlapping transactions); a retried message does not hold back later ones.
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

/** Delivers one message; throw to have it retried (the error message is kept as last_error). */
export type OutboxConsumer<P = unknown> = (m: OutboxMessage<P>) => Promise<void>;

export interface EnqueueOptions {
  /** One message per (tenant, topic, dedupeKey): a second enqueue with the key is ignored. */
  dedupeKey?: string;
  /** First attempt not before now + delayMs (ms). */
  delayMs?: number;
  /** Attempts before the message is dead-lettered (1-100, default 12). */
  maxAttempts?: number;
  /** The clock of `delayMs` (default the database's now()). */
  now?: Date;
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
    `INSERT INTO outbox (tenant_id, topic, payload, dedupe_key, max_attempts, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $7::double precision = 0 THEN NULL ELSE COALESCE($6::timestamptz, now() + make_interval(secs => $7::double precision / 1000)) END)
     ON CONFLICT (tenant_id, topic, dedupe_key) DO NOTHING RETURNING id::text AS id`,
    [tenantId, topic, JSON.stringify(payload), opts.dedupeKey ?? null, max, at, delay],
  );
  q.afterCommit?.((db) => outboxFor(db).kick(tenantId, db));
  return rows[0]?.id;
}

/** Backoff before attempt n+1 after n failed attempts, in ms: 1 s × 2^(n-1), at most 1 h. */
export function outboxBackoffMs(failedAttempts: number): number {
  return Math.min(3600_000, 1000 * 2 ** Math.max(0, failedAttempts - 1));
}

/** What one drain pass did. */
export interface DrainReport {
  delivered: number;
  failed: number;
  dead: number;
}

/** The outbox of one database: its consumers and its drainer. Get it with `outboxFor(db)`. */
export class Outbox {
  private readonly consumers = new Map<string, OutboxConsumer>();
  private readonly running = new Map<string, Promise<DrainReport>>();
  private readonly again = new Set<string>();
  /** The clock next_attempt_at is compared with (tests inject theirs). */
  now: () => Date = () => new Date();
  /** Rows taken per transaction. */
  batch = 20;
  /** Called for every failed delivery (for the log). */
  onError: (e: unknown, m: OutboxMessage) => void = () => undefined;

  constructor(readonly db: Database) {}

  /** Registers (or replaces) the consumer of a topic in this process. */
  consume<P = unknown>(topic: string, fn: OutboxConsumer<P>): void {
    if (!TOPIC.test(topic)) throw new OutboxError(`"${topic}" is not an outbox topic (lower-case dotted words).`);
    this.consumers.set(topic, fn as OutboxConsumer);
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
        for (const r of rows) {
          seen.add(r.id);
          const m: OutboxMessage = { id: r.id, tenantId, topic: r.topic, payload: r.payload, attempts: r.attempts, createdAt: new Date(r.created_at) };
          try {
            await this.consumers.get(r.topic)!(m);
            await q.query(`UPDATE outbox SET state = 'delivered', delivered_at = $2, last_error = NULL WHERE id = $1`, [r.id, now]);
            total.delivered++;
          } catch (e) {
            this.onError(e, m);
            const attempts = r.attempts + 1;
            const dead = attempts >= r.max_attempts;
            await q.query(`UPDATE outbox SET attempts = $2, state = $3, next_attempt_at = $4, last_error = $5 WHERE id = $1`, [
              r.id, attempts, dead ? 'dead' : 'pending', new Date(now.getTime() + outboxBackoffMs(attempts)), String((e as Error)?.message ?? e).slice(0, 1000),
            ]);
            if (dead) total.dead++;
            else total.failed++;
          }
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

/** Declares the periodic drain (`outbox.drain`, every `everyMs`, default 5 s) on a job runner. */
export function defineOutboxJob(jobs: JobRunner, db: Database, everyMs = 5000): void {
  jobs.define({ name: 'outbox.drain', everyMs, run: () => outboxFor(db).drainAll() });
}

/** A message as `listOutbox` shows it. */
export interface OutboxRow {
  id: string;
  topic: string;
  state: 'pending' | 'delivered' | 'dead';
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
  if (rows.length) q.afterCommit?.((db) => outboxFor(db).kick(tenantId, db));
  return rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
}
