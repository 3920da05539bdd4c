/**
 * The agent's local store (PULSE-LOCAL): one SQLCipher database (AES-256-CBC with HMAC-SHA512
 * pages, SQLCipher 4 format, via better-sqlite3-multiple-ciphers) in WAL mode. The 256-bit raw
 * key is random, made on first use and kept in the OS credential store through the device-client
 * key store, or in its AES-256-GCM encrypted-file fallback (and then the store says so).
 *
 * Tables: `intervals` (the upload form plus the local-only category, an `open` flag for the
 * interval still growing, and the batch it was sealed into), `batches` (the exact bytes of each
 * sealed upload), `settings` (the employee's controls and the cached policy) and `meta`
 * (counters). Retention: uploaded intervals older than {@link RETENTION_MS} are deleted; the
 * queue of not-yet-uploaded intervals is bounded by {@link MAX_PENDING}: beyond it the oldest are
 * dropped and counted (`show` prints the count), so a device offline for months cannot fill its disk.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { openKeyStore, type KeyStore, type KeyStoreKind } from '@parapet/device-client/keystore';
import * as pulseBatch from '@parapet/core/pulse/batch';
import { PULSE_BATCH_SCHEMA_ID, type PulseBatch, type PulseInterval } from '@parapet/core/pulse/batch';
import type { Interval } from './heartbeat.js';

export const RETENTION_MS = 14 * 24 * 3600 * 1000;
export const MAX_PENDING = 50_000;
/** Intervals per sealed batch (about 200 bytes each, well under the 1 MiB batch limit). */
export const BATCH_SIZE = 500;

/** The store cannot be opened: wrong key, corrupt file, or the key store is gone. One sentence, never a silent reset. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** The upload form of one interval, fields in the order the batch carries them. */
export function uploadForm(i: Interval): PulseInterval {
  const p = i.state === 'paused';
  return { id: i.id, start: pulseBatch.pulseTime(i.start), end: pulseBatch.pulseTime(i.end), state: i.state, app: p ? null : i.app, category: p ? null : i.category, domain: p ? null : i.domain };
}

export interface StoredInterval extends Interval {
  open: boolean;
  batchId: string | null;
  uploaded: boolean;
}

export interface SealedBatch {
  batchId: string;
  /** The exact bytes that are sent (UTF-8 JSON). */
  body: string;
  createdAt: number;
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
  rejected: string | null;
}

interface KeyFileInfo {
  key_store: KeyStoreKind;
  note?: string | undefined;
}

export interface OpenStoreOptions {
  dir: string;
  /** 'file' skips the OS credential store (tests, headless hosts). */
  keyStore?: 'auto' | 'file';
  /**
   * Why 'file' was chosen when the person did not ask for it (the device key already fell back to
   * a file because no OS credential store was available); recorded and shown instead of "requested".
   */
  fileReason?: string | undefined;
  /** Injected key store (tests). */
  store?: KeyStore;
}

/** How the store key is kept, for `show` and `status`. */
export interface KeyStoreReport {
  kind: KeyStoreKind;
  sentence: string;
}

async function storeKey(o: OpenStoreOptions): Promise<{ key: Buffer; report: KeyStoreReport }> {
  const infoPath = join(o.dir, 'store-key.json');
  const known: KeyFileInfo | undefined = existsSync(infoPath) ? (JSON.parse(readFileSync(infoPath, 'utf8')) as KeyFileInfo) : undefined;
  const prefer = known?.key_store === 'file' || o.keyStore === 'file' ? 'file' : undefined;
  const ks = o.store ?? (await openKeyStore({ service: 'parapet-agent-store', account: 'local-store', filePath: join(o.dir, 'store.key'), ...(prefer ? { prefer } : {}) }));
  if (known?.key_store === 'os' && ks.kind !== 'os') {
    throw new StoreError(`The local store's key is in the OS credential store, which is not available now (${ks.fallbackReason ?? 'unknown reason'}); nothing was changed.`);
  }
  let key = await ks.load().catch((e: Error) => {
    throw new StoreError(`The local store's key cannot be read from its key store (${e.message.replace(/\.$/, '')}); the store was left untouched.`);
  });
  const dbExists = existsSync(join(o.dir, 'pulse.db'));
  if (!key) {
    if (dbExists) throw new StoreError(`The local store ${join(o.dir, 'pulse.db')} exists but its key is missing from the ${ks.kind === 'os' ? 'OS credential store' : 'key file'}; it was left untouched.`);
    key = randomBytes(32);
    await ks.save(key);
  }
  if (key.length !== 32) throw new StoreError('The local store key has the wrong length; the store was left untouched.');
  const note = known ? known.note : (ks.kind === 'file' && o.fileReason) || ks.fallbackReason;
  if (!known) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    writeFileSync(infoPath, JSON.stringify({ key_store: ks.kind, note } satisfies KeyFileInfo) + '\n', { mode: 0o600 });
    chmodSync(infoPath, 0o600);
  }
  const sentence =
    ks.kind === 'os'
      ? 'The local store key is in the OS credential store.'
      : note === 'file store requested'
        ? `The local store key is in the encrypted file ${join(o.dir, 'store.key')} because the file key store was requested.`
        : `The local store key is in the encrypted file ${join(o.dir, 'store.key')} because no OS credential store was available (${note ?? 'reason not recorded'}).`;
  return { key, report: { kind: ks.kind, sentence } };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY, body TEXT NOT NULL, created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, sent_ms INTEGER, rejected TEXT);
CREATE TABLE IF NOT EXISTS intervals (
  id TEXT PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active','idle','paused')),
  app TEXT, category TEXT, domain TEXT, local_category TEXT,
  open INTEGER NOT NULL DEFAULT 0, batch_id TEXT REFERENCES batches(batch_id));
CREATE INDEX IF NOT EXISTS intervals_pending ON intervals(batch_id, open, start_ms);
CREATE INDEX IF NOT EXISTS intervals_start ON intervals(start_ms);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

type Row = { id: string; start_ms: number; end_ms: number; state: Interval['state']; app: string | null; category: string | null; domain: string | null; local_category: string | null; open: number; batch_id: string | null; sent_ms: number | null };

const rowToInterval = (r: Row): StoredInterval => ({
  id: r.id,
  start: r.start_ms,
  end: r.end_ms,
  state: r.state,
  app: r.app,
  category: r.category,
  domain: r.domain,
  localCategory: r.local_category,
  open: r.open === 1,
  batchId: r.batch_id,
  uploaded: r.sent_ms !== null && r.sent_ms !== undefined,
});

export class Store {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly keyStore: KeyStoreReport,
  ) {}

  /**
   * Opens (or creates) `<dir>/pulse.db`.
   * @throws StoreError with one sentence when the key is wrong, the file is not a database, or the key store is gone.
   */
  static async open(o: OpenStoreOptions): Promise<Store> {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const { key, report } = await storeKey(o);
    const path = join(o.dir, 'pulse.db');
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
      db.pragma(`key="x'${key.toString('hex')}'"`);
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      db.pragma('journal_mode=WAL');
      db.pragma('busy_timeout=5000');
      db.pragma('foreign_keys=ON');
      db.exec(SCHEMA);
      // An earlier agent marked batches refused as not personal as refused for good; they are
      // held now (upload.ts), so they go back to the queue and are sent once the device has an owner.
      db.prepare("UPDATE batches SET rejected = NULL WHERE rejected = 'pulse_device_not_personal'").run();
      // The file is encrypted, but its size and timing still say something: keep it the owner's.
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    } catch (e) {
      db?.close();
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new StoreError(`The local store ${path} cannot be opened with its key (the key is wrong or the file is damaged); it was left untouched.`);
      }
      throw new StoreError(`The local store ${path} cannot be opened (${(e as Error).message.replace(/\.$/, '')}); it was left untouched.`);
    }
    return new Store(db, path, report);
  }

  close(): void {
    this.db.close();
  }

  /** Writes closed intervals and the open one (replacing the previous open state of the same id). */
  saveIntervals(closed: readonly Interval[], open: Interval | null): void {
    const up = this.db.prepare(
      `INSERT INTO intervals (id, start_ms, end_ms, state, app, category, domain, local_category, open)
       VALUES (@id, @start, @end, @state, @app, @category, @domain, @localCategory, @open)
       ON CONFLICT(id) DO UPDATE SET end_ms = excluded.end_ms, open = excluded.open WHERE intervals.batch_id IS NULL`,
    );
    this.db.transaction(() => {
      for (const i of closed) up.run({ ...uploadFormFields(i), open: 0 });
      if (open && open.end > open.start) up.run({ ...uploadFormFields(open), open: 1 });
    })();
  }

  /** Closes intervals a previous run left open (at their last saved end). */
  closeStaleOpen(): number {
    return this.db.prepare('UPDATE intervals SET open = 0 WHERE open = 1').run().changes;
  }

  /** The latest end recorded (ms), or -Infinity: the heartbeat merger's floor after a restart. */
  lastEnd(): number {
    return (this.db.prepare('SELECT max(end_ms) AS e FROM intervals').get() as { e: number | null }).e ?? -Infinity;
  }

  /** Intervals overlapping [from, to), oldest first. */
  intervals(from: number, to: number): StoredInterval[] {
    return (this.db.prepare('SELECT i.*, b.sent_ms FROM intervals i LEFT JOIN batches b USING (batch_id) WHERE i.end_ms > ? AND i.start_ms < ? ORDER BY i.start_ms, i.id').all(from, to) as Row[]).map(rowToInterval);
  }

  /** Closed intervals not yet sealed into a batch, oldest first. */
  unsealed(limit = MAX_PENDING): StoredInterval[] {
    return (this.db.prepare('SELECT *, NULL AS sent_ms FROM intervals WHERE batch_id IS NULL AND open = 0 ORDER BY start_ms, id LIMIT ?').all(limit) as Row[]).map(rowToInterval);
  }

  /**
   * Seals up to {@link BATCH_SIZE} closed, unsealed intervals into a new batch in one
   * transaction and returns it; undefined when there is nothing to seal.
   */
  sealBatch(now: number = Date.now()): SealedBatch | undefined {
    return this.db.transaction(() => {
      const rows = this.unsealed(BATCH_SIZE);
      if (rows.length === 0) return undefined;
      const batch: PulseBatch = { schema: PULSE_BATCH_SCHEMA_ID, batch_id: randomUUID(), created_at: pulseBatch.pulseTime(now), intervals: rows.map(uploadForm) };
      const body = JSON.stringify(batch);
      this.db.prepare('INSERT INTO batches (batch_id, body, created_ms) VALUES (?, ?, ?)').run(batch.batch_id, body, now);
      const set = this.db.prepare('UPDATE intervals SET batch_id = ? WHERE id = ? AND batch_id IS NULL');
      for (const r of rows) set.run(batch.batch_id, r.id);
      return { batchId: batch.batch_id, body, createdAt: now, attempts: 0, lastError: null, sentAt: null, rejected: null };
    })();
  }

  /** Sealed batches not yet accepted or rejected, oldest first. */
  pendingBatches(): SealedBatch[] {
    return (this.db.prepare('SELECT * FROM batches WHERE sent_ms IS NULL AND rejected IS NULL ORDER BY created_ms, rowid').all() as Array<{ batch_id: string; body: string; created_ms: number; attempts: number; last_error: string | null; sent_ms: number | null; rejected: string | null }>).map(
      (b) => ({ batchId: b.batch_id, body: b.body, createdAt: b.created_ms, attempts: b.attempts, lastError: b.last_error, sentAt: b.sent_ms, rejected: b.rejected }),
    );
  }

  rejectedBatches(): Array<{ batchId: string; rejected: string }> {
    return this.db.prepare('SELECT batch_id AS batchId, rejected FROM batches WHERE rejected IS NOT NULL ORDER BY created_ms').all() as Array<{ batchId: string; rejected: string }>;
  }

  markAttempt(batchId: string, error: string): void {
    this.db.prepare('UPDATE batches SET attempts = attempts + 1, last_error = ? WHERE batch_id = ?').run(error, batchId);
  }

  markSent(batchId: string, now: number = Date.now()): void {
    this.db.prepare('UPDATE batches SET attempts = attempts + 1, sent_ms = ?, last_error = NULL WHERE batch_id = ?').run(now, batchId);
  }

  /**
   * The server refused a batch because a category is no longer in the tenant's policy (it
   * stored nothing): the batch row is dropped and its intervals go back to the queue, with
   * categories outside `known` set to `uncategorized`; the next seal gives them a new batch id.
   */
  requeueBatch(batchId: string, known: ReadonlySet<string>): number {
    return this.db.transaction(() => {
      const rows = this.db.prepare('SELECT id, category FROM intervals WHERE batch_id = ?').all(batchId) as Array<{ id: string; category: string | null }>;
      const fix = this.db.prepare("UPDATE intervals SET category = 'uncategorized' WHERE id = ?");
      for (const r of rows) if (r.category !== null && !known.has(r.category)) fix.run(r.id);
      this.db.prepare('UPDATE intervals SET batch_id = NULL WHERE batch_id = ?').run(batchId);
      this.db.prepare('DELETE FROM batches WHERE batch_id = ?').run(batchId);
      return rows.length;
    })();
  }

  /**
   * The server refused a batch because some of its intervals start before `notBefore` (ms), the
   * tenant's detail retention (it stored nothing): those intervals are deleted and counted
   * (`meta.expired`, shown by `show`), the others go back to the queue for a new batch.
   * @returns how many intervals were dropped.
   */
  dropExpired(batchId: string, notBefore: number): number {
    return this.db.transaction(() => {
      const dropped = this.db.prepare('DELETE FROM intervals WHERE batch_id = ? AND start_ms < ?').run(batchId, notBefore).changes;
      this.db.prepare('UPDATE intervals SET batch_id = NULL WHERE batch_id = ?').run(batchId);
      this.db.prepare('DELETE FROM batches WHERE batch_id = ?').run(batchId);
      if (dropped) this.db.prepare("INSERT INTO meta (key, value) VALUES ('expired', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value").run(dropped);
      return dropped;
    })();
  }

  /** Intervals waiting on this device: closed and not yet accepted by the server (sealed or not). */
  waitingCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM intervals i LEFT JOIN batches b USING (batch_id) WHERE i.open = 0 AND b.sent_ms IS NULL AND b.rejected IS NULL').get() as { n: number }).n;
  }

  /** The server refused the batch for good (e.g. a schema problem); kept for `show`, never retried. */
  markRejected(batchId: string, code: string): void {
    this.db.prepare('UPDATE batches SET attempts = attempts + 1, rejected = ? WHERE batch_id = ?').run(code, batchId);
  }

  /**
   * Retention and the queue bound: deletes intervals (and their batches) uploaded before
   * `now - RETENTION_MS`, then drops the oldest unsealed intervals beyond `maxPending`, counting them.
   * @returns how many pending intervals were dropped.
   */
  prune(now: number = Date.now(), maxPending: number = MAX_PENDING): number {
    return this.db.transaction(() => {
      const cutoff = now - RETENTION_MS;
      this.db.prepare('DELETE FROM intervals WHERE end_ms < ? AND batch_id IN (SELECT batch_id FROM batches WHERE sent_ms IS NOT NULL)').run(cutoff);
      this.db.prepare('DELETE FROM batches WHERE sent_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM intervals i WHERE i.batch_id = batches.batch_id)').run();
      const pending = (this.db.prepare('SELECT count(*) AS n FROM intervals WHERE batch_id IS NULL AND open = 0').get() as { n: number }).n;
      const over = pending - maxPending;
      if (over <= 0) return 0;
      this.db.prepare('DELETE FROM intervals WHERE id IN (SELECT id FROM intervals WHERE batch_id IS NULL AND open = 0 ORDER BY start_ms, id LIMIT ?)').run(over);
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('dropped', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value").run(over);
      return over;
    })();
  }

  /**
   * The machine changed hands (enrolled again for another person): every closed interval and
   * every batch recorded for the previous person is deleted, sent or not, so none is uploaded
   * as the new person's time and `show` does not show it to them. The interval being recorded
   * now stays (it belongs to whoever uses the machine). Counts the unsent ones in
   * `meta.handed_over`.
   * @returns how many intervals were deleted unsent, and how many in all.
   */
  forgetPreviousOwner(): { unsent: number; total: number } {
    return this.db.transaction(() => {
      const unsent = (this.db.prepare('SELECT count(*) AS n FROM intervals i LEFT JOIN batches b USING (batch_id) WHERE i.open = 0 AND b.sent_ms IS NULL').get() as { n: number }).n;
      const total = this.db.prepare('DELETE FROM intervals WHERE open = 0').run().changes;
      this.db.prepare('UPDATE intervals SET batch_id = NULL WHERE batch_id IS NOT NULL').run();
      this.db.prepare('DELETE FROM batches').run();
      if (unsent) this.db.prepare("INSERT INTO meta (key, value) VALUES ('handed_over', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value").run(unsent);
      return { unsent, total };
    })();
  }

  counter(key: string): number {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: number } | undefined)?.value ?? 0;
  }

  getSetting<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    if (value === undefined) this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
    else this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  /** Forces the WAL into the main file (tests check both files for plaintext). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }
}

function uploadFormFields(i: Interval) {
  const p = i.state === 'paused';
  return { id: i.id, start: i.start, end: i.end, state: i.state, app: p ? null : i.app, category: p ? null : i.category, domain: p ? null : i.domain, localCategory: p ? null : i.localCategory };
}
