/**
 * The audit export and its offline verification. Everything here is pure: `parapet audit
 * verify` and any auditor's tool can check an export with nothing but the file and,
 * optionally, keys and checkpoints they trust from elsewhere.
 */
import { leafHash } from '../merkle/tree.js';
import { MerkleFrontier } from '../merkle/frontier.js';
import { cosignedBy, noteSignedBy, parseCheckpoint, parseNote, parseVerifierKey, type Checkpoint, type Note, type Verifier } from '../merkle/note.js';
import { canonicalJson, leafBytes, parseLeaf, ZERO_HASH, type AuditRecord } from './leaf.js';

export const EXPORT_FORMAT = 'parapet-audit-export/v1';

export interface ExportEntry {
  seq: number;
  /** base64 of the exact leaf bytes. */
  leaf: string;
  /** hex, as stored in the database. */
  prev_hash: string;
  entry_hash: string;
  /** The row's columns as the database holds them. */
  record: AuditRecord;
}

export interface AuditExport {
  format: typeof EXPORT_FORMAT;
  tenant_id: string;
  origin: string;
  /** Signed-note verifier keys of the log. */
  log_keys: string[];
  entries: ExportEntry[];
  /** Signed checkpoint notes, with any witness cosignatures. */
  checkpoints: string[];
}

export interface VerifyOptions {
  /** Pin the log key(s); otherwise the keys named in the export are used (and the result says so). */
  trustedKeys?: string[];
  /** Checkpoints kept elsewhere (earlier exports, witnesses); they must match the entries too. */
  extraCheckpoints?: string[];
  /** Witness verifier keys: every cosignature by them must verify. */
  witnesses?: string[];
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  checkpoints: number;
  cosignatures: number;
  keysPinned: boolean;
  /** On failure: the first bad entry (seq) or checkpoint, and why. */
  seq?: number;
  reason?: string;
}

class Bad extends Error {
  constructor(readonly seq: number | undefined, reason: string) {
    super(reason);
  }
}

const b64 = (s: string) => Buffer.from(s, 'base64');

function safeLeaf(r: AuditRecord, prev: Buffer): Buffer | undefined {
  try {
    return leafBytes(r, prev);
  } catch {
    return undefined;
  }
}

/** Slow path: names why an entry's leaf and columns do not agree with the chain. */
function diagnose(e: ExportEntry, leaf: Buffer, prev: Buffer, tenantId: string): void {
  let parsed;
  try {
    parsed = parseLeaf(leaf);
  } catch (err) {
    throw new Bad(e.seq, (err as Error).message);
  }
  if (parsed.record.seq !== e.seq) throw new Bad(e.seq, `leaf names sequence number ${parsed.record.seq}: entries were swapped or moved`);
  if (parsed.record.tenant_id !== tenantId) throw new Bad(e.seq, 'leaf belongs to another tenant');
  if (!parsed.prev.equals(prev)) throw new Bad(e.seq, `leaf does not chain to entry ${e.seq - 1} (prev hash mismatch): an entry before it was changed, removed or inserted`);
  if (e.record === null || typeof e.record !== 'object' || canonicalJson(e.record) !== canonicalJson(parsed.record)) throw new Bad(e.seq, 'stored columns differ from the signed leaf bytes: the row was edited');
  throw new Bad(e.seq, 'leaf bytes do not match the entry');
}

export function verifyExport(x: AuditExport, o: VerifyOptions = {}): VerifyResult {
  const stats = { entries: 0, checkpoints: 0, cosignatures: 0, keysPinned: Boolean(o.trustedKeys?.length) };
  try {
    if (x?.format !== EXPORT_FORMAT || !Array.isArray(x.entries) || !Array.isArray(x.checkpoints) || !Array.isArray(x.log_keys)) throw new Bad(undefined, `not a ${EXPORT_FORMAT} file`);
    let keys: Verifier[];
    try {
      keys = (o.trustedKeys?.length ? o.trustedKeys : x.log_keys).map(parseVerifierKey);
      if (keys.length === 0) throw new Error('no log key');
    } catch (e) {
      throw new Bad(undefined, `log key unusable: ${(e as Error).message}`);
    }
    let witnesses: Verifier[];
    try {
      witnesses = (o.witnesses ?? []).map(parseVerifierKey);
    } catch (e) {
      throw new Bad(undefined, `witness key unusable: ${(e as Error).message}`);
    }

    // Checkpoints by size; every one must be signed by a log key and name this log.
    const bySize = new Map<number, Array<{ cp: Checkpoint; note: Note; label: string }>>();
    const all = [...x.checkpoints.map((c, i) => ({ c, label: `checkpoint #${i + 1}` })), ...(o.extraCheckpoints ?? []).map((c, i) => ({ c, label: `trusted checkpoint #${i + 1}` }))];
    for (const { c, label } of all) {
      let note: Note;
      let cp: Checkpoint;
      try {
        note = parseNote(c);
        cp = parseCheckpoint(note.text);
      } catch (e) {
        throw new Bad(undefined, `${label} is malformed: ${(e as Error).message}`);
      }
      if (cp.origin !== x.origin) throw new Bad(undefined, `${label} is for log "${cp.origin}", not "${x.origin}"`);
      if (!keys.some((k) => noteSignedBy(note, k))) throw new Bad(undefined, `${label} (size ${cp.size}) has no valid signature by the log key`);
      for (const w of witnesses) {
        const claimed = note.signatures.some((s) => s.name === w.name && s.keyId.equals(w.keyId));
        if (!claimed) continue;
        if (cosignedBy(note, w) === undefined) throw new Bad(undefined, `${label} (size ${cp.size}) has an invalid cosignature by witness ${w.name}`);
        stats.cosignatures++;
      }
      const list = bySize.get(cp.size) ?? [];
      list.push({ cp, note, label });
      bySize.set(cp.size, list);
      stats.checkpoints++;
    }

    const frontier = new MerkleFrontier();
    const checkAt = (size: number) => {
      const cps = bySize.get(size);
      if (!cps) return;
      const root = frontier.root();
      for (const { cp, label } of cps) {
        if (!cp.root.equals(root)) {
          throw new Bad(size === 0 ? undefined : size, `${label} (size ${size}) does not match the tree of entries 1..${size}: history was rewritten or the checkpoint is forked`);
        }
      }
    };
    checkAt(0);
    let prev: Buffer = ZERO_HASH;
    for (let i = 0; i < x.entries.length; i++) {
      const e = x.entries[i]!;
      const want = i + 1;
      if (e.seq !== want) throw new Bad(e.seq, `entry at position ${want} has sequence number ${e.seq}: an entry was deleted, inserted or moved`);
      const leaf = b64(e.leaf);
      // Fast path: the leaf rebuilt from the stored columns and the running chain hash is
      // byte-identical, which proves canonical form, chain link and columns in one step.
      const fast = e.record?.seq === want && e.record.tenant_id === x.tenant_id && safeLeaf(e.record, prev)?.equals(leaf);
      if (!fast) diagnose(e, leaf, prev, x.tenant_id);
      const h = leafHash(leaf);
      if (e.entry_hash !== h.toString('hex')) throw new Bad(e.seq, 'stored entry hash is not the hash of the leaf bytes');
      if (e.prev_hash !== prev.toString('hex')) throw new Bad(e.seq, 'stored prev hash does not match the chain');
      prev = h;
      frontier.push(h);
      stats.entries++;
      checkAt(want);
    }
    // Checked last, so a bad entry earlier in the file is what gets named.
    for (const [size, cps] of bySize) {
      if (size > x.entries.length) throw new Bad(undefined, `${cps[0]!.label} covers ${size} entries but the export has ${x.entries.length}: entries were removed from the end`);
    }
    return { ok: true, ...stats };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, ...stats, ...(e.seq !== undefined ? { seq: e.seq } : {}), reason: e.message };
    throw e;
  }
}
