/**
 * The canonical form of one audit entry: RFC 8785 (JCS) JSON of a fixed-shape object. Its
 * bytes are the Merkle leaf, SHA-256(0x00 || bytes) is the leaf hash and the chain link the
 * next entry names in `prev`. Absent optional fields are null, never missing, so one
 * record has exactly one leaf.
 */
import { canonicalJson } from '../crypto/canonical-json.js';

export { canonicalJson };

export const LEAF_VERSION = 1;
export const ZERO_HASH = Buffer.alloc(32);

export interface AuditRecord {
  tenant_id: string;
  seq: number;
  /** UTC, microseconds: 2026-01-02T03:04:05.123456Z */
  at: string;
  actor: { type: 'user' | 'device' | 'system'; id: string; name: string | null; ip: string | null; user_agent: string | null };
  action: string;
  outcome: 'success' | 'failure' | 'denied';
  target: { type: string; id: string } | null;
  purpose: string | null;
  details: Record<string, unknown>;
}


/** Leaf bytes of `r`, chained to the entry whose leaf hash is `prev`. */
export function leafBytes(r: AuditRecord, prev: Uint8Array): Buffer {
  if (prev.length !== 32) throw new TypeError('prev is a 32-byte hash.');
  return Buffer.from(canonicalJson({ v: LEAF_VERSION, ...r, prev: Buffer.from(prev).toString('hex') }), 'utf8');
}

export interface ParsedLeaf {
  record: AuditRecord;
  prev: Buffer;
}

/** Parses leaf bytes and checks they are in canonical form; throws with a reason otherwise. */
export function parseLeaf(bytes: Uint8Array): ParsedLeaf {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new TypeError('leaf bytes are not JSON');
  }
  if (o === null || typeof o !== 'object' || o.v !== LEAF_VERSION) throw new TypeError(`leaf is not a version ${LEAF_VERSION} audit entry`);
  if (canonicalJson(o) !== Buffer.from(bytes).toString('utf8')) throw new TypeError('leaf bytes are not in RFC 8785 canonical form');
  const { v: _v, prev, ...record } = o;
  if (typeof prev !== 'string' || !/^[0-9a-f]{64}$/.test(prev)) throw new TypeError('leaf has no valid prev hash');
  return { record: record as unknown as AuditRecord, prev: Buffer.from(prev, 'hex') };
}
