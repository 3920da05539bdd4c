import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { KeyRing, DecryptError } from '../src/index.js';
import { seal, open, rewrap, envelopeKeyId, gcmOpen, gcmSeal, bindingAad } from '../src/crypto/envelope.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const b = { tenantId: '11111111-1111-1111-1111-111111111111', record: 'idp_secret/abc' };

test('AES-256-GCM matches the NIST GCM test vector (Test Case 16, 256-bit key, with AAD)', () => {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16.
  const key = Buffer.from('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', 'hex');
  const iv = Buffer.from('cafebabefacedbaddecaf888', 'hex');
  const pt = Buffer.from('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39', 'hex');
  const aad = Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex');
  const ct = '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662';
  const tag = '76fc6ece0f4e1768cddf8853bb2d551b';
  const sealed = Buffer.concat([iv, Buffer.from(ct, 'hex'), Buffer.from(tag, 'hex')]);
  assert.deepEqual(gcmOpen(key, sealed, aad), pt);
});

test('seal then open returns the plaintext; each seal uses a fresh data key and IV', async () => {
  const kr = new KeyRing([k1], 'k1');
  const a = await seal(kr, 'client-secret', b);
  const c = await seal(kr, 'client-secret', b);
  assert.notEqual(a, c);
  assert.equal((await open(kr, a, b)).toString(), 'client-secret');
  assert.match(a, /^pe1\.k1\./);
});

test('a tampered ciphertext, wrong binding or wrong key fails with DecryptError', async () => {
  const kr = new KeyRing([k1], 'k1');
  const env = await seal(kr, 'totp-seed', b);
  const parts = env.split('.');
  const body = Buffer.from(parts[4]!, 'base64url');
  body[0] = body[0]! ^ 1;
  const tampered = [...parts.slice(0, 4), body.toString('base64url')].join('.');
  await assert.rejects(open(kr, tampered, b), DecryptError);
  await assert.rejects(open(kr, env, { ...b, record: 'idp_secret/abd' }), DecryptError);
  await assert.rejects(open(kr, env, { ...b, tenantId: '22222222-2222-2222-2222-222222222222' }), DecryptError);
  const other = new KeyRing([{ id: 'k1', key: randomBytes(32) }], 'k1');
  await assert.rejects(open(other, env, b), DecryptError);
  await assert.rejects(open(new KeyRing([k2], 'k2'), env, b), /not available/);
});

test('rotation re-wraps the data key only; both rings open the result', async () => {
  const old = new KeyRing([k1], 'k1');
  const env = await seal(old, 'evidence', b);
  const rotated = new KeyRing([k1, k2], 'k2');
  const re = await rewrap(rotated, env, b);
  assert.equal(envelopeKeyId(re), 'k2');
  assert.equal(re.split('.')[4], env.split('.')[4], 'record ciphertext is unchanged');
  assert.equal((await open(rotated, re, b)).toString(), 'evidence');
  assert.equal((await open(rotated, env, b)).toString(), 'evidence', 'unrotated envelopes still open during rotation');
  await assert.rejects(rewrap(rotated, env, { ...b, record: 'x' }), DecryptError);
});

test('binding AAD is unambiguous (property)', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (t1, r1, t2, r2) => {
      fc.pre(t1 !== t2 || r1 !== r2);
      return !bindingAad({ tenantId: t1, record: r1 }).equals(bindingAad({ tenantId: t2, record: r2 }));
    }),
  );
});

test('round trip holds for arbitrary bytes (property)', async () => {
  const kr = new KeyRing([k1, k2], 'k2');
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
      const env = await seal(kr, Buffer.from(bytes), b);
      return (await open(kr, env, b)).equals(Buffer.from(bytes));
    }),
    { numRuns: 200 },
  );
});

test('gcmSeal output never repeats for the same key and plaintext', () => {
  const key = randomBytes(32);
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(gcmSeal(key, Buffer.from('x'), Buffer.alloc(0)).toString('hex'));
  assert.equal(seen.size, 1000);
});
