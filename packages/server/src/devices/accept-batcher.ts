/**
 * Group commit for signed device requests: each request's nonce must be recorded, and its
 * device's status and key re-checked, in the database before the request is accepted (so a
 * replay is refused by the unique key even across replicas, and a revocation takes effect on
 * the next request everywhere). Done one request at a time, that is one round trip each; under
 * load the round trips, not the Ed25519 checks, bound the rate.
 *
 * So requests that arrive while earlier ones are on their way to the database wait and go
 * together: one `device_requests_accept` statement (migration 0021) for up to `maxBatch`
 * requests, with at most `maxInFlight` statements outstanding. Each request awaits the verdict
 * for its own row. An idle server sends a lone request at once (after the current event-loop
 * turn, so requests parsed in the same turn share it) with `device_request_accept` (0020).
 *
 * Nothing is accepted without the database having said so: a statement that fails rejects
 * every request in it with the error, after each has been retried alone (a batch fails as a
 * whole, e.g. on a device deleted between check and insert, and the retry confines that to the
 * request it concerns).
 */
import type { Database } from '@parapet/db';

/** One request to accept: who signed, with which key, and the nonce to record. */
export interface AcceptItem {
  tenantId: string;
  deviceId: string;
  /** Raw 32-byte Ed25519 public key the signature was verified with. */
  publicKey: Buffer;
  nonce: string;
  /** Unix seconds: the signature's `created` parameter. */
  created: number;
  /** Unix seconds until which the nonce is kept. */
  expires: number;
}

/** The database's verdict for one request (see migrations 0020 and 0021). */
export type AcceptVerdict = 'accepted' | 'replayed' | 'stale' | 'revoked' | 'unknown';

const VERDICTS = new Set<string>(['accepted', 'replayed', 'stale', 'revoked', 'unknown']);

interface Waiter {
  item: AcceptItem;
  resolve(v: AcceptVerdict): void;
  reject(e: unknown): void;
}

export interface AcceptBatcherOptions {
  /** Most requests in one statement (default 256). */
  maxBatch?: number;
  /**
   * Most statements outstanding at once: PostgreSQL pool connections it may hold (default 2,
   * so one group fills while another is on the wire). PGlite runs one statement at a time in
   * this thread, so there the default is 1 and the group waiting is simply larger.
   */
  maxInFlight?: number;
}

/** Counters for the benchmark and tests: statements sent and requests they carried. */
export interface AcceptBatcherStats {
  statements: number;
  requests: number;
  largestBatch: number;
  retriedAlone: number;
}

const SINGLE = `SELECT device_request_accept($1, $2, $3, $4, to_timestamp($5), to_timestamp($6)) AS outcome`;
const BATCH = `SELECT device_requests_accept($1::uuid[], $2::uuid[], $3::bytea[], $4::text[], $5::bigint[], $6::bigint[]) AS outcomes`;

export class AcceptBatcher {
  private queue: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  readonly stats: AcceptBatcherStats = { statements: 0, requests: 0, largestBatch: 0, retriedAlone: 0 };

  constructor(private readonly db: Database, o: AcceptBatcherOptions = {}) {
    this.maxBatch = o.maxBatch ?? 256;
    this.maxInFlight = o.maxInFlight ?? (db.engine === 'pglite' ? 1 : 2);
  }

  /**
   * Records `item`'s nonce and re-checks its device; resolves with the verdict. Rejects with
   * the database's error when it cannot be asked (the request must then be refused).
   */
  accept(item: AcceptItem): Promise<AcceptVerdict> {
    return new Promise<AcceptVerdict>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.inFlight++;
        void this.send(batch).finally(() => {
          this.inFlight--;
          this.schedule();
        });
      }
    });
  }

  private async send(batch: Waiter[]): Promise<void> {
    this.stats.statements++;
    this.stats.requests += batch.length;
    if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length;
    if (batch.length === 1) {
      const w = batch[0]!;
      try {
        w.resolve(await this.single(w.item));
      } catch (e) {
        w.reject(e);
      }
      return;
    }
    let verdicts: AcceptVerdict[];
    try {
      verdicts = await this.many(batch.map((w) => w.item));
    } catch {
      // The statement rolled back as a whole, so no nonce of it was recorded: ask for each alone.
      this.stats.retriedAlone += batch.length;
      await Promise.all(batch.map(async (w) => {
        try {
          w.resolve(await this.single(w.item));
        } catch (e) {
          w.reject(e);
        }
      }));
      return;
    }
    batch.forEach((w, i) => w.resolve(verdicts[i]!));
  }

  private async single(it: AcceptItem): Promise<AcceptVerdict> {
    const { rows } = await this.db.statement<{ outcome: string }>(SINGLE, [it.tenantId, it.deviceId, it.publicKey, it.nonce, it.expires, it.created]);
    return verdictOf(rows[0]?.outcome);
  }

  private async many(items: AcceptItem[]): Promise<AcceptVerdict[]> {
    const { rows } = await this.db.statement<{ outcomes: string[] }>(BATCH, [
      items.map((i) => i.tenantId),
      items.map((i) => i.deviceId),
      items.map((i) => i.publicKey),
      items.map((i) => i.nonce),
      items.map((i) => i.expires),
      items.map((i) => i.created),
    ]);
    const out = rows[0]?.outcomes;
    if (!Array.isArray(out) || out.length !== items.length) throw new Error('device_requests_accept returned a verdict list of the wrong length');
    return out.map(verdictOf);
  }
}

function verdictOf(v: unknown): AcceptVerdict {
  if (typeof v !== 'string' || !VERDICTS.has(v)) throw new Error(`device request verdict ${String(v)} is not one the server knows`);
  return v as AcceptVerdict;
}
