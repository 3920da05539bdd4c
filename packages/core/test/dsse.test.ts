import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import fc from 'fast-check';
import { pae, signEnvelope, verifyEnvelope, generateEd25519, keyId, DsseError } from '../src/crypto/dsse.js';

// RFC 8032 section 7.1, TEST 1.
const SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const SIG_EMPTY = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
const privPem = createPrivateKey({ key: Buffer.from('302e020100300506032b657004220420' + SEED, 'hex'), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
const pubPem = createPublicKey({ key: Buffer.from('302a300506032b6570032100' + PUB, 'hex'), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }) as string;

test('PAE matches the DSSE specification example', () => {
  assert.equal(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('PAE counts bytes, not characters', () => {
  assert.equal(pae('t', Buffer.from('é', 'utf8')).toString('hex'), Buffer.from('DSSEv1 1 t 2 ').toString('hex') + 'c3a9');
});

test('the RFC 8032 key loads and reproduces the RFC signature of the empty message', () => {
  assert.equal(sign(null, Buffer.alloc(0), createPrivateKey(privPem)).toString('hex'), SIG_EMPTY);
});

test('constructed vector: RFC 8032 key, DSSE envelope over PAE (pinned signature)', () => {
  const payload = Buffer.from('{"hello":"world"}');
  const env = signEnvelope('application/vnd.parapet.scope+json', payload, privPem);
  // Ed25519 is deterministic; this is sign(RFC8032 TEST 1 key, "DSSEv1 34 application/vnd.parapet.scope+json 17 {"hello":"world"}").
  const expected = sign(null, Buffer.from('DSSEv1 34 application/vnd.parapet.scope+json 17 {"hello":"world"}'), createPrivateKey(privPem)).toString('base64');
  assert.equal(env.signatures[0]!.sig, expected);
  assert.equal(env.signatures[0]!.sig, PINNED);
  assert.equal(env.payload, payload.toString('base64'));
  assert.equal(env.signatures[0]!.keyid, keyId(pubPem));
  assert.deepEqual(verifyEnvelope(env, 'application/vnd.parapet.scope+json', pubPem).payload, payload);
});
const PINNED = 'oCmbv0T+2kQN1hNRlUsLiDIkxOpcrrI+4Y5UnHh9tyx5xeapRJ2kvXPfo6cL8+rxYxGmNQDZs+d5c6/k89sABA==';

test('a different key, a different payload type, or any changed payload byte fails verification', () => {
  const other = generateEd25519();
  const payload = Buffer.from('{"a":1,"b":[1,2,3]}');
  const env = signEnvelope('application/vnd.parapet.scope+json', payload, privPem);
  assert.throws(() => verifyEnvelope(env, 'application/vnd.parapet.scope+json', other.publicKeyPem), (e: DsseError) => e.code === 'bad_signature');
  assert.throws(() => verifyEnvelope({ ...env, payloadType: 'application/json' }, 'application/vnd.parapet.scope+json', pubPem), (e: DsseError) => e.code === 'payload_type');
  // Signature computed for one type does not verify under another (PAE binds the type).
  assert.throws(() => verifyEnvelope({ ...env, payloadType: 'application/json' }, 'application/json', pubPem), (e: DsseError) => e.code === 'bad_signature');
  assert.throws(() => verifyEnvelope({ ...env, signatures: [] }, 'application/vnd.parapet.scope+json', pubPem), (e: DsseError) => e.code === 'no_signature');
  assert.throws(() => verifyEnvelope({ payload: 'x' }, 'application/vnd.parapet.scope+json', pubPem), (e: DsseError) => e.code === 'malformed');
  fc.assert(
    fc.property(fc.nat({ max: payload.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const p = Buffer.from(payload);
      p[i] = p[i]! ^ x;
      assert.throws(() => verifyEnvelope({ ...env, payload: p.toString('base64') }, 'application/vnd.parapet.scope+json', pubPem), (e: DsseError) => e.code === 'bad_signature');
    }),
  );
});
