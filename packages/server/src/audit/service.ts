/**
 * Per-tenant log keys, signed checkpoints, proofs and exports over the audit_log table.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import { envelope, merkle, MerkleFrontier, signedNote, EXPORT_FORMAT, type AuditExport, type KeyProvider } from '@parapet/core';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { RECORD_COLUMNS, recordOfRow, type AuditRow } from '../platform/audit-rows.js';
import { sequencerFor } from '../platform/audit-sequencer.js';
import { registerSealedColumn } from '../platform/sealed.js';
import { join } from 'node:path';
import type { WormVault } from '../vault/vault.js';
import { VaultError } from '../vault/vault.js';
import { FsVault } from '../vault/fs.js';
import { tenantKey } from '../vault/sealed.js';

/** The log's name: checkpoint origin and signed-note key name. */
export function logOrigin(tenantId: string): string {
  return `parapet.audit/${tenantId}`;
}

export interface LogKey {
  keyId: string;
  name: string;
  publicKey: Buffer;
  privateSealed: string;
  verifierKey: string;
}

const keyBinding = (tenantId: string, keyId: string) => ({ tenantId, record: `audit_log_key/${keyId}` });
registerSealedColumn({ table: 'audit_log_keys', column: 'private_sealed', keyColumns: ['key_id'], record: (r) => `audit_log_key/${String(r.key_id)}` });

function toLogKey(r: { key_id: string; name: string; public_key: Buffer; private_sealed: string }): LogKey {
  return { keyId: r.key_id, name: r.name, publicKey: r.public_key, privateSealed: r.private_sealed, verifierKey: signedNote.verifierKey(r.name, r.public_key) };
}

export async function logKeys(q: Queryable): Promise<LogKey[]> {
  const { rows } = await q.query<{ key_id: string; name: string; public_key: Buffer; private_sealed: string }>(
    `SELECT key_id, name, public_key, private_sealed FROM audit_log_keys ORDER BY created_at, key_id`,
  );
  return rows.map(toLogKey);
}

/** The tenant's current log key, made (and sealed under the KEK) on first use. */
export async function ensureLogKey(q: Queryable, keys: KeyProvider, tenantId: string): Promise<LogKey> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('auditkey:' || $1, 0))`, [tenantId]);
  const have = await logKeys(q);
  if (have.length) return have[have.length - 1]!;
  const name = logOrigin(tenantId);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = signedNote.rawPublicKey(publicKey);
  const keyId = signedNote.keyId(name, pub).toString('hex');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed = await envelope.seal(keys, der, keyBinding(tenantId, keyId));
  der.fill(0);
  const { rows } = await q.query<{ key_id: string; name: string; public_key: Buffer; private_sealed: string }>(
    `INSERT INTO audit_log_keys (tenant_id, key_id, name, public_key, private_sealed) VALUES ($1, $2, $3, $4, $5)
     RETURNING key_id, name, public_key, private_sealed`,
    [tenantId, keyId, name, pub, sealed],
  );
  return toLogKey(rows[0]!);
}

/** Opens the sealed private half of a log key (Ed25519), for signing notes and evidence. */
export async function openLogSigner(keys: KeyProvider, tenantId: string, k: LogKey): Promise<KeyObject> {
  const der = await envelope.open(keys, k.privateSealed, keyBinding(tenantId, k.keyId));
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** Leaf hashes of entries 1..upTo (all when omitted), in tree order. */
export async function leafHashes(q: Queryable, upTo?: number): Promise<Buffer[]> {
  const { rows } = await q.query<{ entry_hash: Buffer }>(
    upTo === undefined ? `SELECT entry_hash FROM audit_log ORDER BY seq` : `SELECT entry_hash FROM audit_log WHERE seq <= $1 ORDER BY seq`,
    upTo === undefined ? [] : [upTo],
  );
  return rows.map((r) => r.entry_hash);
}

export async function treeSize(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number | null }>(`SELECT max(seq) AS n FROM audit_log`);
  return Number(rows[0]!.n ?? 0);
}

/** The stored log contradicts an earlier checkpoint: someone edited it under the database. */
export class AuditTamperError extends Error {
  override name = 'AuditTamperError';
}

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: Buffer;
  keyId: string;
  note: string;
  createdAt: Date;
}

type CpRow = { tree_size: number; root_hash: Buffer; key_id: string; note: string; created_at: Date };
const cpOf = (r: CpRow): StoredCheckpoint => ({ treeSize: Number(r.tree_size), rootHash: r.root_hash, keyId: r.key_id, note: r.note, createdAt: r.created_at });

export async function latestCheckpoint(q: Queryable): Promise<StoredCheckpoint | undefined> {
  const { rows } = await q.query<CpRow>(`SELECT tree_size, root_hash, key_id, note, created_at FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`);
  return rows[0] && cpOf(rows[0]);
}

export async function allCheckpoints(q: Queryable): Promise<StoredCheckpoint[]> {
  const { rows } = await q.query<CpRow>(`SELECT tree_size, root_hash, key_id, note, created_at FROM audit_checkpoints ORDER BY tree_size`);
  return rows.map(cpOf);
}

/**
 * The vault that holds each tenant's latest checkpoints where the database cannot rewrite
 * them: `<data dir>/vault` (the server's and the CLI's view of one deployment).
 */
export function auditVault(dataDir: string, now?: () => Date): WormVault {
  return new FsVault(join(dataDir, 'vault'), now);
}

/** How long pinned checkpoint notes are retained in the vault (days). */
export const PINNED_CHECKPOINT_RETENTION_DAYS = 400;
const pinPrefix = (tenantId: string) => tenantKey(tenantId, 'audit/checkpoints/');
const pinKey = (tenantId: string, size: number) => `${pinPrefix(tenantId)}${String(size).padStart(12, '0')}.note`;

/**
 * Writes a signed checkpoint note to the WORM vault (write-once, plain text: it is signed and
 * holds no secret). Pinning the same note twice is a no-op; a different note of the same
 * size already pinned is a fork and throws AuditTamperError.
 */
export async function pinCheckpoint(vault: WormVault, tenantId: string, cp: { treeSize: number; note: string }): Promise<void> {
  // One pin per tenant at a time in this process (the per-round scheduler and an explicit
  // checkpoint may pin the same size together).
  const prev = pinning.get(tenantId) ?? Promise.resolve();
  const mine = prev.then(() => pinOnce(vault, tenantId, cp));
  const tail = mine.catch(() => undefined);
  pinning.set(tenantId, tail);
  void tail.then(() => pinning.get(tenantId) === tail && pinning.delete(tenantId));
  return mine;
}
const pinning = new Map<string, Promise<unknown>>();

async function pinOnce(vault: WormVault, tenantId: string, cp: { treeSize: number; note: string }): Promise<void> {
  const key = pinKey(tenantId, cp.treeSize);
  try {
    await vault.put(key, Buffer.from(cp.note, 'utf8'), { retainUntil: new Date(Date.now() + PINNED_CHECKPOINT_RETENTION_DAYS * 86_400_000) });
  } catch (e) {
    if (!(e instanceof VaultError && e.code === 'exists')) throw e;
    const had = (await readPinned(vault, key)).toString('utf8');
    if (had !== cp.note) throw new AuditTamperError(`The vault already holds a different checkpoint of size ${cp.treeSize}; the log was forked.`);
  }
}

/** The largest checkpoint pinned in the vault for the tenant (size and note), if any. */
export async function pinnedCheckpoint(vault: WormVault, tenantId: string): Promise<{ treeSize: number; note: string } | undefined> {
  await pinning.get(tenantId); // a pin of this process in progress finishes first
  const keys = await vault.list(pinPrefix(tenantId));
  const last = keys.filter((k) => /\/\d{12}\.note$/.test(k)).sort().at(-1);
  if (!last) return undefined;
  return { treeSize: Number(/(\d{12})\.note$/.exec(last)![1]), note: (await readPinned(vault, last)).toString('utf8') };
}

/** Reads a pinned note, waiting a moment for another process between writing metadata and content. */
async function readPinned(vault: WormVault, key: string): Promise<Buffer> {
  for (let i = 0; ; i++) {
    try {
      return await vault.get(key);
    } catch (g) {
      if (!(g instanceof VaultError && g.code === 'integrity') || i >= 20) throw g;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Signs a checkpoint of the tenant's log as it is now (idempotent per tree size). The
 * leaf hashes are read under the audit lock, so the size and root describe one committed
 * prefix of the chain. Refuses (AuditTamperError) to sign a tree smaller than, or
 * inconsistent with, the latest checkpoint already issued: the database's and, with
 * `o.vault`, the one pinned there (which a database superuser cannot remove). With a vault
 * the new checkpoint is pinned after it commits.
 */
export async function issueCheckpoint(db: Database, keys: KeyProvider, tenantId: string, o: { vault?: WormVault | undefined } = {}): Promise<StoredCheckpoint> {
  // Everything committed before this call is chained first, so the checkpoint covers it.
  await sequencerFor(db).flush(tenantId);
  const pinned = o.vault ? await pinnedCheckpoint(o.vault, tenantId) : undefined;
  const cp = await db.tx({ tenantId, actor: 'system:audit-checkpoint' }, async (q) => {
    const key = await ensureLogKey(q, keys, tenantId);
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1, 0))`, [tenantId]);
    const hashes = await leafHashes(q);
    // Never sign a history that contradicts what was signed before.
    const prior = await latestCheckpoint(q);
    const bars: Array<{ treeSize: number; rootHash: Buffer; where: string }> = [];
    if (prior) bars.push({ ...prior, where: 'signed' });
    if (pinned) {
      const text = signedNote.parseNote(pinned.note).text;
      const c = signedNote.parseCheckpoint(text);
      bars.push({ treeSize: c.size, rootHash: Buffer.from(c.root), where: 'pinned in the vault' });
    }
    for (const b of bars) {
      if (b.treeSize > hashes.length) throw new AuditTamperError(`The log has ${hashes.length} entries but checkpoint ${b.treeSize} was ${b.where}; entries were removed. Refusing to sign.`);
    }
    const f = new MerkleFrontier();
    for (const h of hashes) {
      f.push(h);
      for (const b of bars) {
        if (f.size === b.treeSize && !f.root().equals(b.rootHash)) throw new AuditTamperError(`Entries 1..${b.treeSize} no longer match their ${b.where === 'signed' ? 'signed checkpoint' : 'checkpoint pinned in the vault'}; the log was altered. Refusing to sign.`);
      }
    }
    const root = f.root();
    if (prior?.treeSize === hashes.length) return prior;
    const signer = await openLogSigner(keys, tenantId, key);
    const note = signedNote.signNote(signedNote.checkpointText({ origin: logOrigin(tenantId), size: hashes.length, root }), key.name, signer);
    const ins = await q.query<CpRow>(
      `INSERT INTO audit_checkpoints (tenant_id, tree_size, root_hash, key_id, note) VALUES ($1, $2, $3, $4, $5)
       RETURNING tree_size, root_hash, key_id, note, created_at`,
      [tenantId, hashes.length, root, key.keyId, note],
    );
    return cpOf(ins.rows[0]!);
  });
  if (o.vault && cp.treeSize > 0 && (!pinned || pinned.treeSize < cp.treeSize)) await pinCheckpoint(o.vault, tenantId, cp);
  return cp;
}

/**
 * Signs (and pins) a checkpoint after sequencer rounds, at most once per `minIntervalMs` per
 * tenant: the first round after a quiet spell is covered at once, later ones at the end of the
 * interval. So an entry is covered by a vault-pinned checkpoint at most about minIntervalMs
 * after it is chained.
 */
export class CheckpointScheduler {
  private readonly last = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;
  constructor(private readonly o: { db: Database; keys: KeyProvider; vault: WormVault; minIntervalMs: number; onError?: (e: unknown, tenantId: string) => void }) {}

  /** A round chained entries of `tenantId`: make sure a checkpoint follows. */
  mark(tenantId: string): void {
    if (this.stopped || this.timers.has(tenantId)) return;
    const wait = Math.max(0, (this.last.get(tenantId) ?? -Infinity) + this.o.minIntervalMs - Date.now());
    const t = setTimeout(() => {
      this.timers.delete(tenantId);
      this.last.set(tenantId, Date.now());
      if (this.last.size > 10_000) this.last.delete(this.last.keys().next().value!);
      const p = issueCheckpoint(this.o.db, this.o.keys, tenantId, { vault: this.o.vault }).catch((e: unknown) => this.o.onError?.(e, tenantId));
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
    }, wait);
    t.unref();
    this.timers.set(tenantId, t);
  }

  /** Cancels pending checkpoints and waits for those being signed. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.running]);
  }
}

/** Checkpoint notes with the witness cosignature lines appended (one signed note each). */
export async function notesWithCosignatures(q: Queryable): Promise<string[]> {
  const cps = await allCheckpoints(q);
  const { rows } = await q.query<{ tree_size: number; signature_line: string }>(`SELECT tree_size, signature_line FROM audit_cosignatures ORDER BY tree_size, witness_key`);
  const by = new Map<number, string[]>();
  for (const r of rows) by.set(Number(r.tree_size), [...(by.get(Number(r.tree_size)) ?? []), r.signature_line]);
  return cps.map((c) => c.note + (by.get(c.treeSize) ?? []).map((l) => l + '\n').join(''));
}

export interface ExportedRow {
  seq: number;
  leaf: string;
  prev_hash: string;
  entry_hash: string;
  record: ReturnType<typeof recordOfRow>;
}

export function exportRow(r: AuditRow): ExportedRow {
  return { seq: Number(r.seq), leaf: r.leaf.toString('base64'), prev_hash: r.prev_hash.toString('hex'), entry_hash: r.entry_hash.toString('hex'), record: recordOfRow({ ...r, seq: Number(r.seq) }) };
}

export async function entriesRange(q: Queryable, from: number, limit: number): Promise<ExportedRow[]> {
  const { rows } = await q.query<AuditRow>(`SELECT ${RECORD_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, [from, limit]);
  return rows.map(exportRow);
}

/** Everything an offline verifier needs: entries with exact leaf bytes, checkpoints, log keys. */
export async function buildExport(q: Queryable, tenantId: string, pinned?: { note: string }): Promise<AuditExport> {
  const { rows } = await q.query<AuditRow>(`SELECT ${RECORD_COLUMNS} FROM audit_log ORDER BY seq`);
  const checkpoints = await notesWithCosignatures(q);
  // The vault's latest checkpoint goes along when the database lost it (rows removed under
  // it): a verifier then sees the entries it covers are missing.
  if (pinned && !checkpoints.some((n) => n.startsWith(pinned.note))) checkpoints.push(pinned.note);
  return {
    format: EXPORT_FORMAT,
    tenant_id: tenantId,
    origin: logOrigin(tenantId),
    log_keys: (await logKeys(q)).map((k) => k.verifierKey),
    entries: rows.map(exportRow),
    checkpoints,
  };
}

export function inclusion(hashes: Buffer[], index: number, size: number) {
  return { proof: merkle.inclusionProof(hashes, index, size), root: merkle.rootHash(hashes, size) };
}

/** Tenants written since the last tick get a fresh checkpoint; an idle log costs nothing. */
export function startCheckpointTimer(o: { db: Database; keys: KeyProvider; dirty: Set<string>; intervalMs: number; vault?: WormVault; onError?: (e: unknown, tenantId: string) => void }): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const tenantId of [...o.dirty]) {
        o.dirty.delete(tenantId);
        try {
          await issueCheckpoint(o.db, o.keys, tenantId, { vault: o.vault });
        } catch (e) {
          o.onError?.(e, tenantId);
        }
      }
    } finally {
      running = false;
    }
  };
  const t = setInterval(() => void tick(), o.intervalMs);
  t.unref();
  return () => clearInterval(t);
}

/**
 * The export as the CLI and the API make it: the export itself is recorded, then a
 * checkpoint is signed that covers it, unless the log contradicts an earlier checkpoint
 * (then the export goes out as it is, for `audit verify` to pinpoint, with the reason).
 */
export async function exportLog(db: Database, keys: KeyProvider, tenantId: string, actor: AuditActor, vault?: WormVault): Promise<{ export: AuditExport; tamper?: string }> {
  await db.tx({ tenantId, actor: `${actor.type}:${actor.id}` }, (q) => recordAudit(q, tenantId, actor, { action: 'audit.log.exported', outcome: 'success', target: { type: 'audit_log', id: tenantId } }));
  let tamper: string | undefined;
  try {
    await issueCheckpoint(db, keys, tenantId, { vault });
  } catch (e) {
    if (!(e instanceof AuditTamperError)) throw e;
    tamper = e.message;
  }
  const pinned = vault ? await pinnedCheckpoint(vault, tenantId) : undefined;
  const x = await db.tx({ tenantId, actor: `${actor.type}:${actor.id}` }, (q) => buildExport(q, tenantId, pinned));
  return tamper ? { export: x, tamper } : { export: x };
}

/**
 * Per-tenant Merkle trees kept in memory for the proof API, extended with new leaf hashes
 * on demand, so a proof costs O(log^2 n) hashes after the first request. Entries are
 * immutable, so a cached prefix never goes stale.
 */
const trees = new Map<string, merkle.MerkleTree>();
const MAX_CACHED_TREES = 32;

export async function treeFor(q: Queryable, tenantId: string, upTo: number): Promise<merkle.MerkleTree> {
  let t = trees.get(tenantId);
  if (!t) {
    t = new merkle.MerkleTree();
    if (trees.size >= MAX_CACHED_TREES) trees.delete(trees.keys().next().value!);
    trees.set(tenantId, t);
  }
  if (t.size < upTo) {
    const { rows } = await q.query<{ seq: number; entry_hash: Buffer }>(`SELECT seq, entry_hash FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq`, [t.size, upTo]);
    for (const r of rows) {
      if (Number(r.seq) !== t.size + 1) break; // a gap is never papered over
      t.push(r.entry_hash);
    }
  }
  return t;
}
