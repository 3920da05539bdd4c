/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, checkpoints in the
 * C2SP tlog-checkpoint format, and tlog-cosignature/v1 witness cosignatures. Signing and
 * verification are node:crypto Ed25519; this file only frames the bytes.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';

function validName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/[\u0000-\u001f\u007f]/.test(name);
}

/** Key id: the first 4 bytes of SHA-256(name || 0x0A || type || public key). */
export function keyId(name: string, publicKey: Uint8Array, type = SIG_ED25519): Buffer {
  if (!validName(name)) throw new TypeError(`"${name}" is not a valid key name (no spaces or plus signs).`);
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, type])).update(publicKey).digest().subarray(0, 4);
}

/** `<name>+<key id hex>+<base64(type || public key)>` */
export function verifierKey(name: string, publicKey: Uint8Array, type = SIG_ED25519): string {
  return `${name}+${keyId(name, publicKey, type).toString('hex')}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

export interface Verifier {
  name: string;
  keyId: Buffer;
  type: number;
  publicKey: Buffer;
}

export class NoteError extends Error {
  override name = 'NoteError';
}

export function parseVerifierKey(vkey: string): Verifier {
  // The base64 part may itself contain '+'; the name never does.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim());
  if (!m) throw new NoteError('A verifier key has the form name+keyid+base64key.');
  const [, name, hex, b64] = m as unknown as [string, string, string, string];
  const raw = Buffer.from(b64, 'base64');
  if (!/^[0-9a-f]{8}$/.test(hex) || raw.length !== 33 || raw.toString('base64') !== b64) throw new NoteError('The verifier key is malformed.');
  const type = raw[0]!;
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) throw new NoteError(`Verifier key type ${type} is not supported.`);
  const publicKey = raw.subarray(1);
  const id = keyId(name, publicKey, type);
  if (id.toString('hex') !== hex) throw new NoteError('The verifier key id does not match its name and key.');
  return { name, keyId: id, type, publicKey };
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function rawPublicKey(k: KeyObject): Buffer {
  return Buffer.from(k.export({ format: 'jwk' }).x!, 'base64url');
}

export interface NoteSignature {
  name: string;
  keyId: Buffer;
  /** The signature bytes after the key id. */
  sig: Buffer;
}

export interface Note {
  text: string;
  signatures: NoteSignature[];
}

export function formatNote(n: Note): string {
  return n.text + '\n' + n.signatures.map((s) => `${EM_DASH} ${s.name} ${Buffer.concat([s.keyId, s.sig]).toString('base64')}\n`).join('');
}

export function parseNote(s: string): Note {
  const at = s.lastIndexOf('\n\n');
  if (at < 0) throw new NoteError('A signed note needs a blank line before its signatures.');
  const text = s.slice(0, at + 1);
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw new NoteError('A note text may contain no control characters but newlines.');
  const lines = s.slice(at + 2).split('\n');
  if (lines.pop() !== '') throw new NoteError('A signed note ends with a newline.');
  if (lines.length === 0) throw new NoteError('A signed note has at least one signature.');
  const signatures = lines.map((l) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)$/u.exec(l);
    if (!m) throw new NoteError(`Malformed signature line: ${JSON.stringify(l)}.`);
    const raw = Buffer.from(m[2]!, 'base64');
    if (raw.length < 5) throw new NoteError('A signature is too short.');
    return { name: m[1]!, keyId: raw.subarray(0, 4), sig: raw.subarray(4) };
  });
  return { text, signatures };
}

/** Signs a note text (ending in a newline) with an Ed25519 private key. */
export function signNote(text: string, name: string, privateKey: KeyObject): string {
  if (!text.endsWith('\n')) throw new NoteError('A note text ends with a newline.');
  const pub = rawPublicKey(createPublicKey(privateKey));
  const sig = sign(null, Buffer.from(text, 'utf8'), privateKey);
  return formatNote({ text, signatures: [{ name, keyId: keyId(name, pub), sig }] });
}

/**
 * True when the note carries a valid Ed25519 signature by `v` and no failing one.
 * C2SP signed-note: a signature whose key name and key ID both match a known key must be
 * verified, and one that fails makes the whole note rejected (the verifier knows the key,
 * so a bad signature under it is a forgery attempt or a broken signer, never noise);
 * signatures matching only the name or only the ID are from unknown keys and ignored.
 */
export function noteSignedBy(note: Note, v: Verifier): boolean {
  if (v.type !== SIG_ED25519) return false;
  let good = false;
  for (const s of note.signatures) {
    if (s.name !== v.name || !s.keyId.equals(v.keyId)) continue;
    if (s.sig.length !== 64 || !verify(null, Buffer.from(note.text, 'utf8'), ed25519PublicKey(v.publicKey), s.sig)) return false;
    good = true;
  }
  return good;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  extensions: string[];
}

export function checkpointText(c: Omit<Checkpoint, 'extensions'> & { extensions?: string[] }): string {
  if (!c.origin || /\n/.test(c.origin)) throw new NoteError('A checkpoint origin is one non-empty line.');
  if (c.root.length !== 32) throw new NoteError('A checkpoint root hash is 32 bytes.');
  return [c.origin, String(c.size), c.root.toString('base64'), ...(c.extensions ?? [])].map((l) => l + '\n').join('');
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length < 3) throw new NoteError('A checkpoint has an origin, a size and a root hash line.');
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new NoteError('The checkpoint size is not a decimal number.');
  const r = Buffer.from(root, 'base64');
  if (r.length !== 32 || r.toString('base64') !== root) throw new NoteError('The checkpoint root hash is not 32 bytes of base64.');
  if (extensions.some((e) => e === '')) throw new NoteError('A checkpoint has no empty lines.');
  return { origin, size: Number(size), root: r, extensions };
}

/** A tlog-cosignature/v1 over a checkpoint: the signed message and the 72-byte signature field. */
function cosignedMessage(checkpointBody: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointBody}`, 'utf8');
}

export function cosign(checkpointBody: string, name: string, privateKey: KeyObject, timestamp: number): NoteSignature {
  const pub = rawPublicKey(createPublicKey(privateKey));
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp));
  const sig = sign(null, cosignedMessage(checkpointBody, timestamp), privateKey);
  return { name, keyId: keyId(name, pub, SIG_COSIGNATURE_V1), sig: Buffer.concat([ts, sig]) };
}

/**
 * The cosignature timestamp (Unix seconds) when `note` carries a valid cosignature by
 * witness `v`, else undefined; undefined too when any cosignature under `v`'s name and key
 * ID fails to verify (C2SP signed-note: a failing signature by a known key rejects the note).
 */
export function cosignedBy(note: Note, v: Verifier): number | undefined {
  if (v.type !== SIG_COSIGNATURE_V1) return undefined;
  let ts: number | undefined;
  for (const s of note.signatures) {
    if (s.name !== v.name || !s.keyId.equals(v.keyId)) continue;
    if (s.sig.length !== 72) return undefined;
    const t = Number(s.sig.readBigUInt64BE(0));
    if (!verify(null, cosignedMessage(note.text, t), ed25519PublicKey(v.publicKey), s.sig.subarray(8))) return undefined;
    ts ??= t;
  }
  return ts;
}

export { createPrivateKey };
