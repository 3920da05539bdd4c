/**
 * The audit sequencer: moves committed entries from each tenant's inbox into its
 * hash-chained log, in batches.
 *
 * Business transactions only append to `audit_inbox` (recordAudit in audit.ts), so writers of one tenant
 * never wait for each other. The sequencer then, for each tenant with entries waiting and
 * in one transaction for all of them:
 *   1. takes the tenant's audit lock (the same lock a checkpoint takes),
 *   2. reads the waiting entries in id order (a fresh snapshot, after the lock),
 *   3. hashes and chains them after the current head and inserts them into audit_log,
 *   4. deletes them from the inbox (a trigger refuses unless audit_log holds each one).
 * Chain order therefore respects real time: an entry whose transaction committed before
 * another began is chained first (see migration 0102). The BEFORE INSERT trigger on
 * audit_log still checks every link, so a sequencer bug cannot fork the chain.
 *
 * One Sequencer per Database object. A commit kicks it (Queryable.afterCommit), a sweep
 * catches entries left by a crash or written by another process, and readers of the log
 * call `flush` first so they see their own writes.
 */
import { Worker } from 'node:worker_threads';
import { PostgresDatabase, type Database, type Queryable } from '@parapet/db';
import { leafBytes, merkle, ZERO_HASH } from '@parapet/core';
import { recordOfRow, type RecordColumns } from './audit-rows.js';

/** Largest batch per tenant per transaction; a bigger backlog takes several rounds. */
export const MAX_BATCH = 500;
/** Tenants per sequencer transaction, so one round stays short. */
const MAX_TENANTS_PER_ROUND = 200;

/** Tenants that gained chained entries, for the checkpoint and snapshot timers. */
export const dirtyTenants = new Set<string>();
export const snapshotPending = new Set<string>();

interface InboxRow extends RecordColumns {
  id: number;
  head_seq: number | null;
  head_hash: Buffer | null;
}

/**
 * One round in one transaction and two round trips, however many tenants: take (locks
 * and waiting entries, migration 0102), hash and chain here, append.
 */
async function chainRound(q: Queryable, tenantIds: string[]): Promise<Map<string, number>> {
  const { rows } = await q.query<InboxRow>(`SELECT * FROM audit_inbox_take($1::uuid[], $2)`, [tenantIds, MAX_BATCH]);
  const done = new Map<string, number>(tenantIds.map((t) => [t, 0]));
  if (!rows.length) return done;
  const heads = new Map<string, { seq: number; prev: Buffer }>();
  const cols = { inbox: [] as number[], seq: [] as number[], prev: [] as string[], hash: [] as string[], leaf: [] as string[] };
  for (const r of rows) {
    let head = heads.get(r.tenant_id);
    if (!head) heads.set(r.tenant_id, (head = { seq: Number(r.head_seq ?? 0), prev: r.head_hash ?? ZERO_HASH }));
    const seq = head.seq + 1;
    const leaf = leafBytes(recordOfRow({ ...r, seq }), head.prev);
    const hash = merkle.leafHash(leaf);
    cols.inbox.push(Number(r.id));
    cols.seq.push(seq);
    cols.prev.push(head.prev.toString('hex'));
    cols.hash.push(hash.toString('hex'));
    cols.leaf.push(leaf.toString('hex'));
    head.seq = seq;
    head.prev = hash;
    done.set(r.tenant_id, (done.get(r.tenant_id) ?? 0) + 1);
  }
  // Rows arrive grouped by tenant (the take visits tenants in turn), as the append wants them.
  const owners = [...heads.keys()];
  await q.query(`SELECT audit_chain_append($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])`, [owners, owners.map((t) => done.get(t)!), cols.inbox, cols.seq, cols.prev, cols.hash, cols.leaf]);
  return done;
}

/**
 * Chains what `tenantIds` have waiting: all in one transaction, and if that fails (one
 * tenant's log refusing its entries, say), each tenant in its own, so one tenant's trouble
 * never holds up another's log. Returns how many entries each tenant had chained; throws
 * if a tenant failed on its own, with `failed` naming those tenants.
 */
export async function chainInbox(db: Database, tenantIds: string[]): Promise<Map<string, number>> {
  const sorted = [...new Set(tenantIds)].sort();
  const ctx = { actor: 'system:audit-sequencer' };
  let done = new Map<string, number>();
  const failed = new Map<string, unknown>();
  try {
    if (sorted.length) done = await db.tx(ctx, (q) => chainRound(q, sorted));
  } catch (e) {
    if (sorted.length === 1) failed.set(sorted[0]!, e);
    else {
      for (const t of sorted) {
        try {
          for (const [k, n] of await db.tx(ctx, (q) => chainRound(q, [t]))) done.set(k, n);
        } catch (err) {
          failed.set(t, err);
        }
      }
    }
  }
  if (failed.size) throw new ChainError(failed, done);
  return done;
}

export class ChainError extends Error {
  override name = 'ChainError';
  constructor(readonly failed: Map<string, unknown>, readonly chained: Map<string, number>) {
    const [t, e] = [...failed][0]!;
    super(`Could not chain the audit entries of ${failed.size} tenant(s); first, ${t}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/**
 * Tenants with entries in their inbox, and when each one's oldest waiting entry was written
 * (every tenant is looked at, under its own RLS setting).
 */
export async function inboxBacklog(db: Database): Promise<Map<string, Date>> {
  return db.tx({ listTenants: true, actor: 'system:audit-sequencer' }, async (q) =>
    new Map((await q.query<{ tenant_id: string; oldest: Date }>(`SELECT tenant_id, oldest FROM audit_inbox_tenants()`)).rows.map((r) => [r.tenant_id, new Date(r.oldest)])),
  );
}

export class Sequencer {
  private readonly pending = new Set<string>();
  /** The round now running, if any. */
  private running: Promise<void> | undefined;
  /** The round queued behind it; kicks join it until it starts. */
  private queued: Promise<void> | undefined;
  /** Tenants whose last round filled a whole batch: more may be waiting. */
  private readonly more = new Set<string>();
  /** Tenants that were pending when a round started but beyond its cap. */
  private beyondCap: string[] = [];
  /** Tenants whose last round failed, with the error (flush throws it). */
  private readonly failed = new Map<string, unknown>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastStart = 0;
  private urgent = false;
  private wake: (() => void) | undefined;
  private lastTenants = 0;
  private stopped = false;
  /**
   * Least time between the starts of two rounds, unless a reader is waiting: `pacingMs`
   * plus `perTenantMs` for each tenant the last round visited, at most `maxPacingMs`. A
   * round's fixed cost grows with the tenants it visits, so with many busy tenants rounds
   * come less often and each visit chains more entries.
   */
  pacingMs = 20;
  perTenantMs = 2;
  maxPacingMs = 200;
  onError: (e: unknown, tenantIds: string[]) => void = (e) => console.error('audit sequencer:', e);
  /** Age of the oldest entry waiting in any inbox at the last sweep (0 when none). */
  oldestWaitingSeconds = 0;
  /** After every round: entries chained per tenant, and how long the round took. */
  onRound: (done: Map<string, number>, seconds: number) => void = () => undefined;

  /** On PostgreSQL the rounds run in a worker thread with its own connection (see ChainWorker). */
  private readonly worker: ChainWorker | undefined;

  constructor(private readonly db: Database) {
    if (db instanceof PostgresDatabase) this.worker = new ChainWorker(db.url);
  }

  /**
   * Entries of `tenantId` committed: chain them soon. Resolves once they are chained: after
   * the round that took them and any rounds a backlog needed after it, so `Database.idle()`
   * and `close()`, which wait for this promise, never return mid-backlog. Rounds are paced
   * (see `pacingMs`; a flush does not wait), so under load each round carries many entries
   * and its fixed cost (a transaction, a WAL flush) is shared.
   */
  kick(tenantId: string, urgent = false): Promise<void> {
    this.pending.add(tenantId);
    if (urgent) this.urgent = true;
    this.queued ??= (async () => {
      await this.running;
      const pace = Math.min(this.maxPacingMs, this.pacingMs + this.perTenantMs * this.lastTenants);
      const wait = this.lastStart + pace - Date.now();
      if (wait > 0 && !this.urgent) await new Promise<void>((r) => { this.wake = r; setTimeout(r, wait).unref(); });
      this.wake = undefined;
      this.urgent = false;
      this.queued = undefined;
      this.lastStart = Date.now();
      this.running = this.round();
      try {
        await this.running;
      } finally {
        this.running = undefined;
      }
      // A backlog (tenants that filled their batch, or were beyond the round's cap) goes on
      // in the next round, and this promise waits for it. New commits alone do not extend
      // it: their own kicks wait for them. A failed tenant waits for the sweep.
      const carry = [...this.more, ...this.beyondCap];
      if (carry.length) {
        for (const t of carry) this.pending.add(t);
        await this.kick(carry[0]!);
      }
    })();
    if (urgent) this.wake?.();
    return this.queued;
  }

  private async round(): Promise<void> {
    const batch = [...this.pending].slice(0, MAX_TENANTS_PER_ROUND);
    this.beyondCap = [...this.pending].slice(MAX_TENANTS_PER_ROUND);
    for (const t of batch) this.pending.delete(t);
    this.lastTenants = batch.length;
    let done: Map<string, number>;
    const started = performance.now();
    try {
      // After stop(), late commits are still chained, in-process, until the database closes.
      done = this.worker && !this.stopped ? await this.worker.chain(batch) : await chainInbox(this.db, batch);
    } catch (e) {
      done = e instanceof ChainError ? e.chained : new Map();
      const failed = e instanceof ChainError ? e.failed : new Map(batch.map((t) => [t, e]));
      for (const [t, err] of failed) (this.failed.set(t, err), this.more.delete(t));
      this.onError(e, [...failed.keys()]);
    }
    for (const [t, n] of done) if (n) (dirtyTenants.add(t), snapshotPending.add(t));
    this.onRound(done, (performance.now() - started) / 1000);
    for (const t of batch) {
      if (!done.has(t)) continue;
      this.failed.delete(t);
      if (done.get(t) === MAX_BATCH) this.more.add(t);
      else this.more.delete(t);
    }
  }

  /**
   * Chains everything `tenantId` has committed so far; throws if chaining fails. Readers
   * of the log call this first so a client sees the entries its own requests wrote.
   */
  async flush(tenantId: string): Promise<void> {
    await this.kick(tenantId, true);
    const err = this.failed.get(tenantId);
    if (err) throw err;
  }

  /**
   * Looks for waiting entries once (crash recovery, entries of other processes) and starts a
   * round for each tenant that has some. Run periodically by the job runner (`audit.inbox-sweep`).
   * @throws what the backlog query throws (the job runner counts it as a failure).
   */
  async sweep(): Promise<void> {
    const backlog = await inboxBacklog(this.db);
    const oldest = Math.min(...[...backlog.values()].map((d) => d.getTime()));
    this.oldestWaitingSeconds = backlog.size ? Math.max(0, (Date.now() - oldest) / 1000) : 0;
    for (const t of backlog.keys()) void this.kick(t);
  }

  /** Sweeps every `intervalMs` (and once now), for callers without a job runner. */
  startSweep(intervalMs: number): void {
    const sweep = () => this.sweep().catch((e: unknown) => this.onError(e, []));
    void sweep();
    this.sweepTimer = setInterval(() => void sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  /** Stops the sweep and waits for the round in progress (and any queued one). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    await this.queued;
    await this.running;
    await this.worker?.close();
  }
}

/**
 * Runs chainInbox in a worker thread: the hashing, canonical JSON and the sequencer's
 * queries then cost the request thread nothing, which matters because one busy tenant
 * makes the sequencer as busy as all its writers together. The worker has one connection
 * of its own. It holds the process open only while a round is in flight.
 */
class ChainWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: ChainReply) => void; reject: (e: unknown) => void }>();

  constructor(private readonly url: string) {}

  private start(): Worker {
    // The sources are TypeScript run through tsx, whose loader a worker does not inherit.
    const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register();
      await import(${JSON.stringify(new URL('./audit-sequencer-worker.ts', import.meta.url).href)});`;
    const w = new Worker(boot, { eval: true, workerData: { url: this.url } });
    w.on('message', (m: ChainReply) => {
      this.waiting.get(m.id)?.resolve(m);
      this.waiting.delete(m.id);
      if (!this.waiting.size) w.unref();
    });
    const fail = (e: unknown) => {
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
      if (this.worker === w) this.worker = undefined; // the next round starts a new one
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`The audit sequencer thread exited (code ${code}).`)));
    w.unref();
    return w;
  }

  async chain(tenantIds: string[]): Promise<Map<string, number>> {
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    const reply = await new Promise<ChainReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, tenantIds });
    });
    const done = new Map(reply.done);
    if (reply.failed.length) throw new ChainError(new Map(reply.failed.map(([t, msg]) => [t, new Error(msg)])), done);
    return done;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

export interface ChainReply {
  id: number;
  done: [string, number][];
  failed: [string, string][];
}

const sequencers = new WeakMap<Database, Sequencer>();

/** The sequencer of this Database object, made on first use. */
export function sequencerFor(db: Database): Sequencer {
  let s = sequencers.get(db);
  if (!s) sequencers.set(db, (s = new Sequencer(db)));
  return s;
}
