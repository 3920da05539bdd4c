// C2SP tlog-witness and signed-note conformance of the witness, driven over its HTTP
// endpoint with checkpoints signed by a log key the test holds. No database is involved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import fc from 'fast-check';
import { merkle, signedNote } from '@parapet/core';
import { createWitness, serveWitness, type Witness } from '../src/witness.js';

const ORIGIN = 'parapet.test/log';
let dir: string;
let logKey: KeyObject;
let vkey: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-wproto-'));
  logKey = generateKeyPairSync('ed25519').privateKey;
  vkey = signedNote.verifierKey(ORIGIN, signedNote.rawPublicKey(logKey));
});
after(() => rm(dir, { recursive: true, force: true }));

let n = 0;
const fresh = () => createWitness({ dir: join(dir, `w${n++}`), name: 'witness.test', logs: [vkey] });
const leaves = (k: number, tag = 'e') => Array.from({ length: k }, (_, i) => merkle.leafHash(Buffer.from(`${tag}${i}`)));
const checkpoint = (size: number, root: Buffer, key = logKey) => signedNote.signNote(signedNote.checkpointText({ origin: ORIGIN, size, root }), ORIGIN, key);
const request = (old: number, proof: Buffer[], note: string) => `old ${old}\n${proof.map((p) => p.toString('base64') + '\n').join('')}\n${note}`;

async function post(url: string, body: string) {
  const r = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

test('tlog-witness: a size-0 checkpoint whose root is not the empty tree hash is refused (409, size 0), and the witness still cosigns the valid history after it', async () => {
  const w = await fresh();
  const { server, url } = await serveWitness(w, { port: 0, host: '127.0.0.1' });
  try {
    const bogus = merkle.leafHash(Buffer.from('not empty'));
    const r = await post(url, request(0, [], checkpoint(0, bogus)));
    // Old size 0 equals the checkpoint size; the roots differ from MTH({}), so 409 with the held size.
    assert.equal(r.status, 409, r.body);
    assert.equal(r.type, 'text/x.tlog.size');
    assert.equal(r.body, '0\n');
    // The empty checkpoint itself is fine.
    assert.equal((await post(url, request(0, [], checkpoint(0, merkle.EMPTY_ROOT)))).status, 200);
    // And the log's real growth from 0 is still cosigned: the witness is not stuck.
    const hs = leaves(4);
    const ok = await post(url, request(0, [], checkpoint(4, merkle.rootHash(hs))));
    assert.equal(ok.status, 200, ok.body);
    const cosigned = signedNote.parseNote(checkpoint(4, merkle.rootHash(hs)) + ok.body);
    assert.notEqual(signedNote.cosignedBy(cosigned, signedNote.parseVerifierKey(w.verifierKey)), undefined);
  } finally {
    (server as Server).close();
  }
});

test('tlog-witness: a state file that recorded size 0 with a non-empty root (as the old code wrote) no longer blocks the log', async () => {
  const d = join(dir, 'poisoned');
  const first = await createWitness({ dir: d, name: 'witness.test', logs: [vkey] });
  assert.ok(first.verifierKey);
  await writeFile(join(d, 'state.json'), JSON.stringify({ v: 1, logs: { [ORIGIN]: { size: 0, root: merkle.leafHash(Buffer.from('x')).toString('base64') } } }));
  const w = await createWitness({ dir: d, name: 'witness.test', logs: [vkey] });
  const hs = leaves(3);
  assert.equal((await w.handle(request(0, [], checkpoint(3, merkle.rootHash(hs))))).status, 200);
});

test('tlog-witness: old size 0 needs an empty proof; equal sizes need an empty proof and identical roots; old > size is 400', async () => {
  const w = await fresh();
  const hs = leaves(5);
  const junk = merkle.leafHash(Buffer.from('junk'));
  assert.equal((await w.handle(request(0, [junk], checkpoint(5, merkle.rootHash(hs))))).status, 422);
  assert.equal((await w.handle(request(0, [], checkpoint(5, merkle.rootHash(hs))))).status, 200);
  assert.equal((await w.handle(request(5, [junk], checkpoint(5, merkle.rootHash(hs))))).status, 422);
  const diff = await w.handle(request(5, [], checkpoint(5, merkle.rootHash(leaves(5, 'f')))));
  assert.equal(diff.status, 409);
  assert.equal(diff.body, '5\n');
  assert.equal((await w.handle(request(6, [], checkpoint(5, merkle.rootHash(hs))))).status, 400);
  assert.equal((await w.handle(request(5, [], checkpoint(5, merkle.rootHash(hs))))).status, 200);
});

test('signed-note: a checkpoint carrying a valid log signature plus a second, invalid one under the same key name and ID is refused (403) and not recorded', async () => {
  const w = await fresh();
  const hs = leaves(3);
  const good = checkpoint(3, merkle.rootHash(hs));
  const note = signedNote.parseNote(good);
  const trusted = signedNote.parseVerifierKey(vkey);
  const sig = note.signatures[0]!;
  const flipped = Buffer.from(sig.sig);
  flipped[10]! ^= 1;
  const variants: Array<[string, signedNote.NoteSignature[]]> = [
    ['bad after good', [sig, { ...sig, sig: flipped }]],
    ['bad before good', [{ ...sig, sig: flipped }, sig]],
    ['short signature under the trusted key', [sig, { ...sig, sig: sig.sig.subarray(0, 32) }]],
    ['signature by another key under the trusted name and ID', [sig, { ...sig, sig: signedNote.parseNote(checkpoint(3, merkle.rootHash(hs), generateKeyPairSync('ed25519').privateKey)).signatures[0]!.sig }]],
  ];
  for (const [what, signatures] of variants) {
    const text = signedNote.formatNote({ text: note.text, signatures });
    assert.equal(signedNote.noteSignedBy(signedNote.parseNote(text), trusted), false, what);
    const r = await w.handle(request(0, [], text));
    assert.equal(r.status, 403, `${what}: ${r.body}`);
  }
  // Nothing was recorded: the witness still holds size 0 and cosigns the clean note.
  assert.equal((await w.handle(request(0, [], good))).status, 200);
});

test('signed-note: signatures from unknown keys (same name other ID, same ID other name) are ignored, not fatal', async () => {
  const w = await fresh();
  const hs = leaves(2);
  const good = checkpoint(2, merkle.rootHash(hs));
  const note = signedNote.parseNote(good);
  const sig = note.signatures[0]!;
  const otherId = Buffer.from(sig.keyId);
  otherId[0]! ^= 0xff;
  const text = signedNote.formatNote({
    text: note.text,
    signatures: [{ ...sig, keyId: otherId, sig: Buffer.alloc(64, 7) }, { name: 'someone.else', keyId: sig.keyId, sig: Buffer.alloc(64, 9) }, sig],
  });
  assert.equal((await w.handle(request(0, [], text))).status, 200);
});

test('property: a note with any corrupted signature under the trusted key is never accepted, whatever else it carries', () => {
  const trusted = signedNote.parseVerifierKey(vkey);
  const text = signedNote.checkpointText({ origin: ORIGIN, size: 1, root: merkle.rootHash(leaves(1)) });
  const sig = signedNote.parseNote(signedNote.signNote(text, ORIGIN, logKey)).signatures[0]!;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (i, x, goodCopies, at) => {
      const bad = Buffer.from(sig.sig);
      bad[i]! ^= x;
      const sigs = Array.from({ length: goodCopies }, () => sig);
      sigs.splice(Math.min(at, sigs.length), 0, { ...sig, sig: bad });
      assert.equal(signedNote.noteSignedBy({ text, signatures: sigs }, trusted), false);
    }),
  );
});

test('cosignatures follow the same rule: a failing cosignature by the known witness key makes cosignedBy undefined', async () => {
  const w: Witness = await fresh();
  const hs = leaves(2);
  const cp = checkpoint(2, merkle.rootHash(hs));
  const r = await w.handle(request(0, [], cp));
  assert.equal(r.status, 200);
  const wv = signedNote.parseVerifierKey(w.verifierKey);
  const both = signedNote.parseNote(cp + r.body);
  assert.notEqual(signedNote.cosignedBy(both, wv), undefined);
  const cs = both.signatures.find((s) => s.name === 'witness.test')!;
  const broken = Buffer.from(cs.sig);
  broken[20]! ^= 1;
  assert.equal(signedNote.cosignedBy({ ...both, signatures: [...both.signatures, { ...cs, sig: broken }] }, wv), undefined);
});
