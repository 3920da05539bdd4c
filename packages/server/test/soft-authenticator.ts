/**
 * A software authenticator for tests (ES256, attestation "none"), built from node:crypto and a
 * minimal CBOR encoder, standing in for a security key: it answers WebAuthn registration and
 * assertion ceremonies as a real authenticator does (W3C WebAuthn Level 2, sections 6.1 and 6.5).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Buffer | Map<Cbor, Cbor> | Record<string, unknown>;
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}
function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  const entries: Array<[Cbor, Cbor]> = v instanceof Map ? [...v] : (Object.entries(v) as Array<[Cbor, Cbor]>);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}
const b64u = (b: Buffer) => b.toString('base64url');

export class SoftKey {
  readonly id = randomBytes(32);
  private readonly key: KeyObject;
  readonly pub: KeyObject;
  counter = 0;
  constructor(readonly origin: string, readonly rpID: string) {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = kp.privateKey;
    this.pub = kp.publicKey;
  }
  private clientData(type: string, challenge: string, origin = this.origin) {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }
  private authData(flags: number, extra = Buffer.alloc(0), rpID = this.rpID) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(rpID).digest(), Buffer.from([flags]), c, extra]);
  }
  register(challenge: string) {
    const jwk = this.pub.export({ format: 'jwk' });
    const cose = cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.id.length);
    const authData = this.authData(0x45, Buffer.concat([Buffer.alloc(16), idLen, this.id, cose])); // UP | UV | AT
    const attestationObject = cbor({ fmt: 'none', attStmt: new Map(), authData } as Record<string, unknown>);
    return { id: b64u(this.id), rawId: b64u(this.id), type: 'public-key', response: { clientDataJSON: b64u(this.clientData('webauthn.create', challenge)), attestationObject: b64u(attestationObject), transports: ['usb'] }, clientExtensionResults: {} };
  }
  assert(challenge: string, o: { origin?: string; rpID?: string; counter?: number } = {}) {
    this.counter = o.counter ?? this.counter + 1;
    const authData = this.authData(0x05, Buffer.alloc(0), o.rpID); // UP | UV
    const clientDataJSON = this.clientData('webauthn.get', challenge, o.origin);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]), this.key); // DER, as authenticators send
    return { id: b64u(this.id), rawId: b64u(this.id), type: 'public-key', response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature) }, clientExtensionResults: {} };
  }
}

