/**
 * AES-256-GCM envelope encryption (CORE-CRYPTO).
 *
 * Each record gets its own random 256-bit data key (DEK). The record is sealed with the DEK;
 * the DEK is wrapped by a key-encryption key (KEK) that a KeyProvider holds (a local key
 * file, or a KMS). The additional authenticated data binds the ciphertext to its tenant and
 * record, so a ciphertext copied into another row or tenant fails to open. Rotating the KEK
 * re-wraps DEKs only; record ciphertext never changes.
 *
 * Serialized form (ASCII, safe for text columns):
 *   pe1.<kek id>.<wrapped DEK>.<iv>.<ciphertext||tag>     (base64url parts)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface KeyProvider {
  /** The KEK new envelopes are wrapped with. */
  activeKeyId(): string;
  wrap(keyId: string, dek: Buffer, aad: Buffer): Promise<Buffer>;
  unwrap(keyId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
}

export class DecryptError extends Error {
  override name = 'DecryptError';
}

/** What a ciphertext is bound to. Both parts are required: there is no unbound envelope. */
export interface Binding {
  tenantId: string;
  /** Record identity, e.g. `idp_client_secret/3f1c…`. */
  record: string;
}

const VERSION = 'pe1';
const IV_LEN = 12;
const TAG_LEN = 16;

export function bindingAad(b: Binding): Buffer {
  if (!b.tenantId || !b.record) throw new TypeError('An envelope must be bound to a tenant and a record.');
  // Length-prefixed so ("a|b","c") and ("a","b|c") can never collide.
  return Buffer.from(`parapet/v1/${b.tenantId.length}:${b.tenantId}/${b.record.length}:${b.record}`, 'utf8');
}

export function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_LEN);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]);
}

export function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_LEN + TAG_LEN) throw new DecryptError('Ciphertext is too short.');
  const iv = sealed.subarray(0, IV_LEN);
  const tag = sealed.subarray(sealed.length - TAG_LEN);
  const ct = sealed.subarray(IV_LEN, sealed.length - TAG_LEN);
  const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  d.setAAD(aad);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(ct), d.final()]);
  } catch {
    throw new DecryptError('Ciphertext failed authentication (tampered, wrong key or wrong binding).');
  }
}

interface Parsed {
  keyId: string;
  wrapped: Buffer;
  sealed: Buffer;
}

function parse(envelope: string): Parsed {
  const parts = envelope.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptError('Not a pe1 envelope.');
  const [, keyId, wrapped, iv, body] = parts as [string, string, string, string, string];
  return {
    keyId,
    wrapped: Buffer.from(wrapped, 'base64url'),
    sealed: Buffer.concat([Buffer.from(iv, 'base64url'), Buffer.from(body, 'base64url')]),
  };
}

function format(keyId: string, wrapped: Buffer, sealed: Buffer): string {
  if (!/^[A-Za-z0-9_-]+$/.test(keyId)) throw new TypeError('Key ids are base64url characters only.');
  return [VERSION, keyId, wrapped.toString('base64url'), sealed.subarray(0, IV_LEN).toString('base64url'), sealed.subarray(IV_LEN).toString('base64url')].join('.');
}

export async function seal(kp: KeyProvider, plaintext: Buffer | string, b: Binding): Promise<string> {
  const aad = bindingAad(b);
  const dek = randomBytes(32);
  try {
    const keyId = kp.activeKeyId();
    const wrapped = await kp.wrap(keyId, dek, aad);
    return format(keyId, wrapped, gcmSeal(dek, Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext, 'utf8'), aad));
  } finally {
    dek.fill(0);
  }
}

export async function open(kp: KeyProvider, envelope: string, b: Binding): Promise<Buffer> {
  const aad = bindingAad(b);
  const p = parse(envelope);
  const dek = await kp.unwrap(p.keyId, p.wrapped, aad);
  try {
    return gcmOpen(dek, p.sealed, aad);
  } finally {
    dek.fill(0);
  }
}

/** The KEK an envelope is wrapped with. */
export function envelopeKeyId(envelope: string): string {
  return parse(envelope).keyId;
}

/** Re-wraps the DEK under the active KEK; the sealed record is carried over unchanged. */
export async function rewrap(kp: KeyProvider, envelope: string, b: Binding): Promise<string> {
  const aad = bindingAad(b);
  const p = parse(envelope);
  const active = kp.activeKeyId();
  if (p.keyId === active) return envelope;
  const dek = await kp.unwrap(p.keyId, p.wrapped, aad);
  try {
    // Prove the DEK opens the record before we commit to the new wrap.
    gcmOpen(dek, p.sealed, aad);
    return format(active, await kp.wrap(active, dek, aad), p.sealed);
  } finally {
    dek.fill(0);
  }
}

/** KEKs held in memory (loaded from a key file, or given by tests). */
export class KeyRing implements KeyProvider {
  private readonly keys: Map<string, Buffer>;
  constructor(keys: Array<{ id: string; key: Buffer }>, private active: string) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    for (const k of keys) if (k.key.length !== 32) throw new TypeError(`Key ${k.id} is not 256 bits.`);
    if (!this.keys.has(active)) throw new TypeError(`Active key ${active} is not in the ring.`);
  }
  activeKeyId(): string {
    return this.active;
  }
  keyIds(): string[] {
    return [...this.keys.keys()];
  }
  private get(id: string): Buffer {
    const k = this.keys.get(id);
    if (!k) throw new DecryptError(`Key-encryption key ${id} is not available.`);
    return k;
  }
  async wrap(keyId: string, dek: Buffer, aad: Buffer): Promise<Buffer> {
    return gcmSeal(this.get(keyId), dek, Buffer.concat([Buffer.from('dek/'), aad]));
  }
  async unwrap(keyId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    return gcmOpen(this.get(keyId), wrapped, Buffer.concat([Buffer.from('dek/'), aad]));
  }
}
