/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1) with Ed25519 from node:crypto.
 * The signature covers PAE(payloadType, payload), never the base64 text, so the type is bound
 * to the bytes and nothing has to be re-serialised before verifying.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export interface DsseSignature {
  keyid: string;
  sig: string;
}
export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

/** Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in bytes as ASCII decimal. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

export class DsseError extends Error {
  override name = 'DsseError';
  constructor(readonly code: 'malformed' | 'payload_type' | 'no_signature' | 'bad_signature', message: string) {
    super(message);
  }
}

/** A new Ed25519 key pair as PEM (PKCS#8 private, SPKI public). */
export function generateEd25519(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** Parses an Ed25519 public key (PEM SPKI); throws unless it is exactly that. */
export function ed25519PublicKey(pem: string): KeyObject {
  const k = createPublicKey(pem);
  if (k.asymmetricKeyType !== 'ed25519') throw new DsseError('malformed', 'The public key is not an Ed25519 key.');
  return k;
}

/** Key id: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo. */
export function keyId(publicKey: KeyObject | string): string {
  const k = typeof publicKey === 'string' ? ed25519PublicKey(publicKey) : publicKey;
  return createHash('sha256').update(k.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function signEnvelope(payloadType: string, payload: Uint8Array, privateKeyPem: string): DsseEnvelope {
  const priv = createPrivateKey(privateKeyPem);
  if (priv.asymmetricKeyType !== 'ed25519') throw new DsseError('malformed', 'The private key is not an Ed25519 key.');
  const sig = sign(null, pae(payloadType, payload), priv);
  return { payload: Buffer.from(payload).toString('base64'), payloadType, signatures: [{ keyid: keyId(createPublicKey(priv)), sig: sig.toString('base64') }] };
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks the envelope's shape and returns its parts without verifying anything. */
export function parseEnvelope(input: unknown): { payloadType: string; payload: Buffer; signatures: Array<{ keyid: string; sig: Buffer }> } {
  const e = input as Partial<DsseEnvelope> | null;
  if (!e || typeof e !== 'object' || typeof e.payload !== 'string' || typeof e.payloadType !== 'string' || !Array.isArray(e.signatures)) {
    throw new DsseError('malformed', 'The envelope needs payload, payloadType and signatures.');
  }
  if (!B64.test(e.payload) || e.payload.length % 4 !== 0) throw new DsseError('malformed', 'The payload is not standard base64.');
  const signatures = e.signatures.map((s) => {
    if (!s || typeof s.sig !== 'string' || !B64.test(s.sig) || (s.keyid !== undefined && typeof s.keyid !== 'string')) throw new DsseError('malformed', 'A signature entry is malformed.');
    return { keyid: s.keyid ?? '', sig: Buffer.from(s.sig, 'base64') };
  });
  if (signatures.length === 0) throw new DsseError('no_signature', 'The envelope carries no signature.');
  return { payloadType: e.payloadType, payload: Buffer.from(e.payload, 'base64'), signatures };
}

/**
 * Verifies that one of the envelope's signatures is by `publicKey` over PAE(type, payload) and
 * that the type is `expectedType`; returns the payload bytes. Throws DsseError otherwise.
 */
export function verifyEnvelope(input: unknown, expectedType: string, publicKey: KeyObject | string): { payload: Buffer; keyid: string } {
  const env = parseEnvelope(input);
  if (env.payloadType !== expectedType) throw new DsseError('payload_type', `The payload type is ${JSON.stringify(env.payloadType)}, expected ${expectedType}.`);
  const k = typeof publicKey === 'string' ? ed25519PublicKey(publicKey) : publicKey;
  const id = keyId(k);
  const message = pae(env.payloadType, env.payload);
  // The keyid is a hint only; any signature that verifies under the key counts.
  for (const s of env.signatures) if (s.sig.length === 64 && verify(null, message, k, s.sig)) return { payload: env.payload, keyid: id };
  throw new DsseError('bad_signature', 'No signature in the envelope verifies with this key.');
}
