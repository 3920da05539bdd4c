import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  checkpointText, cosign, cosignedBy, formatNote, keyId, noteSignedBy, parseCheckpoint, parseNote, parseVerifierKey, rawPublicKey, signNote, verifierKey, SIG_COSIGNATURE_V1,
} from '../src/merkle/note.js';

// The example of golang.org/x/mod/sumdb/note (the reference signed-note implementation).
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = GO_TEXT + '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

function seedKey(seed: Buffer) {
  // PKCS#8 wrapper of a raw Ed25519 seed (RFC 8410).
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}

test('reproduces the sumdb/note example byte for byte: key id, verifier key and signature', () => {
  const sk = seedKey(GO_SKEY_SEED);
  const pub = rawPublicKey(sk);
  assert.equal(keyId('PeterNeumann', pub).toString('hex'), 'c74f20a3');
  assert.equal(verifierKey('PeterNeumann', pub), GO_VKEY);
  assert.equal(signNote(GO_TEXT, 'PeterNeumann', sk), GO_NOTE);
  const v = parseVerifierKey(GO_VKEY);
  assert.ok(noteSignedBy(parseNote(GO_NOTE), v));
  assert.equal(formatNote(parseNote(GO_NOTE)), GO_NOTE);
});

test('altered text, signature, name or key fails verification', () => {
  const v = parseVerifierKey(GO_VKEY);
  assert.ok(!noteSignedBy(parseNote(GO_NOTE.replace('answer', 'Answer')), v));
  assert.ok(!noteSignedBy(parseNote(GO_NOTE.replace('x08go', 'x08gp')), v));
  assert.ok(!noteSignedBy(parseNote(GO_NOTE.replace('\u2014 PeterNeumann', '\u2014 PeterNeuman')), v));
  const other = generateKeyPairSync('ed25519');
  assert.ok(!noteSignedBy(parseNote(GO_NOTE), parseVerifierKey(verifierKey('PeterNeumann', rawPublicKey(other.publicKey)))));
  assert.throws(() => parseVerifierKey(GO_VKEY.replace('c74f20a3', 'c74f20a4')), /does not match/);
  assert.throws(() => parseNote(GO_TEXT), /blank line/);
});

test('checkpoints follow tlog-checkpoint: origin, decimal size, base64 root, one per line', () => {
  const root = Buffer.alloc(32, 7);
  const text = checkpointText({ origin: 'example.com/log', size: 42, root });
  assert.equal(text, `example.com/log\n42\n${root.toString('base64')}\n`);
  assert.deepEqual(parseCheckpoint(text), { origin: 'example.com/log', size: 42, root, extensions: [] });
  assert.throws(() => parseCheckpoint('example.com/log\n042\n' + root.toString('base64') + '\n'), /decimal/);
  assert.throws(() => parseCheckpoint('example.com/log\n1\nAAAA\n'), /32 bytes/);
});

test('property: a checkpoint signed by the log verifies only under its own key and text', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const vk = parseVerifierKey(verifierKey('parapet.test/audit', rawPublicKey(privateKey)));
  fc.assert(
    fc.property(fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 2 ** 40 }), (size, root, ts) => {
      const text = checkpointText({ origin: 'parapet.test/audit', size, root: Buffer.from(root) });
      const signed = signNote(text, 'parapet.test/audit', privateKey);
      const note = parseNote(signed);
      assert.ok(noteSignedBy(note, vk));
      assert.ok(!noteSignedBy({ ...note, text: checkpointText({ origin: 'parapet.test/audit', size: size + 1, root: Buffer.from(root) }) }, vk));
      // A witness cosignature (tlog-cosignature/v1) over the same checkpoint.
      const w = generateKeyPairSync('ed25519');
      const wv = parseVerifierKey(verifierKey('witness.test', rawPublicKey(w.privateKey), SIG_COSIGNATURE_V1));
      const cs = cosign(text, 'witness.test', w.privateKey, ts);
      const both = parseNote(formatNote({ text, signatures: [...note.signatures, cs] }));
      assert.equal(cosignedBy(both, wv), ts);
      assert.ok(noteSignedBy(both, vk));
      // The cosignature binds its timestamp and the checkpoint.
      const badTs = { ...cs, sig: Buffer.from(cs.sig) };
      badTs.sig.writeBigUInt64BE(BigInt(ts + 1));
      assert.equal(cosignedBy({ text, signatures: [badTs] }, wv), undefined);
      assert.equal(cosignedBy({ text: text.replace(/\n\d+\n/, `\n${size + 1}\n`), signatures: [cs] }, wv), undefined);
      // A log key is not a witness key and vice versa (different key types and key ids).
      assert.equal(cosignedBy(note, wv), undefined);
      assert.ok(!noteSignedBy({ text, signatures: [cs] }, vk));
    }),
    { numRuns: 40 },
  );
});
