/**
 * Per-tenant log keys, signed checkpoints, proofs and exports over the audit_log table.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import { envelope, merkle, MerkleFrontier, signedNote, EXPORT_FORMAT, type AuditExport, type KeyProvider } from '@parapet/core';
import { RECORD_COLUMNS, recordAudit, recordOfRow, type AuditActor, type AuditRow } from './record.js';
import { sequencerFor } from './sequencer.js';
import { registerSealedColumn } from '../platform/sealed.js';

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

async function openSigner(keys: KeyProvider, tenantId: string, k: LogKey): Promise<KeyObject> {
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
 * Signs a checkpoint of the tenant's log as it is now (idempotent per tree size). The
 * leaf hashes are read under the audit lock, so the size and root describe one committed
 * prefix of the chain.
 */
export async function issueCheckpoint(db: Database, keys: KeyProvider, tenantId: string): Promise<StoredCheckpoint> {
  // Everything committed before this call is chained first, so the checkpoint covers it.
  await sequencerFor(db).flush(tenantId);
  return db.tx({ tenantId, actor: 'system:audit-checkpoint' }, async (q) => {
    const key = await ensureLogKey(q, keys, tenantId);
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1, 0))`, [tenantId]);
    const hashes = await leafHashes(q);
    // Never sign a history that contradicts what was signed before.
    const prior = await latestCheckpoint(q);
    if (prior && prior.treeSize > hashes.length) throw new AuditTamperError(`The log has ${hashes.length} entries but checkpoint ${prior.treeSize} was signed; entries were removed. Refusing to sign.`);
    const f = new MerkleFrontier();
    for (const h of hashes) {
      f.push(h);
      if (prior && f.size === prior.treeSize && !f.root().equals(prior.rootHash)) {
        throw new AuditTamperError(`Entries 1..${prior.treeSize} no longer match their signed checkpoint; the log was altered. Refusing to sign.`);
      }
    }
    const root = f.root();
    if (prior?.treeSize === hashes.length) return prior;
    const signer = await openSigner(keys, tenantId, key);
    const note = signedNote.signNote(signedNote.checkpointText({ origin: logOrigin(tenantId), size: hashes.length, root }), key.name, signer);
    const ins = await q.query<CpRow>(
      `INSERT INTO audit_checkpoints (tenant_id, tree_size, root_hash, key_id, note) VALUES ($1, $2, $3, $4, $5)
       RETURNING tree_size, root_hash, key_id, note, created_at`,
      [tenantId, hashes.length, root, key.keyId, note],
    );
    return cpOf(ins.rows[0]!);
  });
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
export async function buildExport(q: Queryable, tenantId: string): Promise<AuditExport> {
  const { rows } = await q.query<AuditRow>(`SELECT ${RECORD_COLUMNS} FROM audit_log ORDER BY seq`);
  return {
    format: EXPORT_FORMAT,
    tenant_id: tenantId,
    origin: logOrigin(tenantId),
    log_keys: (await logKeys(q)).map((k) => k.verifierKey),
    entries: rows.map(exportRow),
    checkpoints: await notesWithCosignatures(q),
  };
}

export function inclusion(hashes: Buffer[], index: number, size: number) {
  return { proof: merkle.inclusionProof(hashes, index, size), root: merkle.rootHash(hashes, size) };
}

/** Tenants written since the last tick get a fresh checkpoint; an idle log costs nothing. */
export function startCheckpointTimer(o: { db: Database; keys: KeyProvider; dirty: Set<string>; intervalMs: number; onError?: (e: unknown, tenantId: string) => void }): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const tenantId of [...o.dirty]) {
        o.dirty.delete(tenantId);
        try {
          await issueCheckpoint(o.db, o.keys, tenantId);
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
export async function exportLog(db: Database, keys: KeyProvider, tenantId: string, actor: AuditActor): Promise<{ export: AuditExport; tamper?: string }> {
  await db.tx({ tenantId, actor: `${actor.type}:${actor.id}` }, (q) => recordAudit(q, tenantId, actor, { action: 'audit.exported', outcome: 'success', target: { type: 'audit_log', id: tenantId } }));
  let tamper: string | undefined;
  try {
    await issueCheckpoint(db, keys, tenantId);
  } catch (e) {
    if (!(e instanceof AuditTamperError)) throw e;
    tamper = e.message;
  }
  const x = await db.tx({ tenantId, actor: `${actor.type}:${actor.id}` }, (q) => buildExport(q, tenantId));
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
