import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { EMPTY_ROOT, consistencyProof, inclusionProof, leafHash, nodeHash, rootHash, verifyConsistency, verifyInclusion } from '../src/merkle/tree.js';
import { MerkleFrontier } from '../src/merkle/frontier.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const h = (s: string) => Buffer.from(s, 'hex');

// Certificate Transparency reference vectors (RFC 6962 trees over these eight leaves).
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const ctHashes = CT_LEAVES.map(leafHash);

test('empty tree, leaf and node hashing follow RFC 6962 (0x00 leaf prefix, 0x01 node prefix)', () => {
  assert.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(rootHash([])), hex(EMPTY_ROOT));
  assert.equal(hex(leafHash(Buffer.alloc(0))), hex(createHash('sha256').update(Buffer.from([0])).digest()));
  assert.equal(hex(nodeHash(h('aa'), h('bb'))), hex(createHash('sha256').update(h('01aabb')).digest()));
});

test('roots of every prefix match the Certificate Transparency reference vectors', () => {
  for (let n = 1; n <= 8; n++) assert.equal(hex(rootHash(ctHashes, n)), CT_ROOTS[n - 1], `size ${n}`);
});

test('inclusion proofs match the reference vectors and verify', () => {
  const cases: Array<[number, number, string[]]> = [
    [0, 1, []],
    [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
    [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
    [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  ];
  for (const [i, n, path] of cases) {
    const p = inclusionProof(ctHashes, i, n);
    assert.deepEqual(p.map(hex), path, `leaf ${i} of ${n}`);
    assert.ok(verifyInclusion(ctHashes[i]!, i, n, p, rootHash(ctHashes, n)));
  }
});

test('consistency proofs match the reference vectors and verify', () => {
  const cases: Array<[number, number, string[]]> = [
    [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
    [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  ];
  for (const [m, n, path] of cases) {
    const p = consistencyProof(ctHashes, m, n);
    assert.deepEqual(p.map(hex), path, `${m} -> ${n}`);
    assert.ok(verifyConsistency(m, n, h(CT_ROOTS[m - 1]!), h(CT_ROOTS[n - 1]!), p));
  }
});

test('the seven-leaf example of RFC 6962 section 2.1.3, by hand', () => {
  // Leaves a..g as leaf hashes d0..d6; the RFC names the interior nodes g, h, i, j(=d6), k, l.
  const d = Array.from({ length: 7 }, (_, i) => leafHash(Buffer.from([i])));
  const [a, b, c, dd, e, f, d6] = d as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const g = nodeHash(a, b);
  const hh = nodeHash(c, dd);
  const i = nodeHash(e, f);
  const k = nodeHash(g, hh);
  const l = nodeHash(i, d6);
  const root = nodeHash(k, l);
  assert.ok(rootHash(d).equals(root));
  assert.deepEqual(inclusionProof(d, 1).map(hex), [a, hh, l].map(hex)); // b: [a, h, l]
  assert.deepEqual(inclusionProof(d, 3).map(hex), [c, g, l].map(hex)); // d: [c, g, l]
  assert.deepEqual(inclusionProof(d, 4).map(hex), [f, d6, k].map(hex)); // e: [f, j, k]
  assert.deepEqual(inclusionProof(d, 6).map(hex), [i, k].map(hex)); // j: [i, k]
  // Consistency examples of section 2.1.4.
  assert.deepEqual(consistencyProof(d, 3).map(hex), [c, dd, g, l].map(hex));
  assert.deepEqual(consistencyProof(d, 4).map(hex), [l].map(hex));
  assert.deepEqual(consistencyProof(d, 6).map(hex), [i, d6, k].map(hex));
});

const leavesArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 70 }).map((ls) => ls.map(leafHash));
/** One way to damage a proof: flip a bit, drop, add, or swap two different elements. */
function damage(p: Buffer[], pick: number, bit: number): Buffer[][] {
  const out: Buffer[][] = [];
  if (p.length) {
    const j = pick % p.length;
    const flipped = p.map((x) => Buffer.from(x));
    flipped[j]![bit % 32]! ^= 1 << (bit % 8);
    out.push(flipped, [...p.slice(0, j), ...p.slice(j + 1)]);
    const k = (j + 1) % p.length;
    if (k !== j && !p[j]!.equals(p[k]!)) {
      const sw = [...p];
      [sw[j], sw[k]] = [sw[k]!, sw[j]!];
      out.push(sw);
    }
  }
  out.push([...p, leafHash(Buffer.from([pick & 255, bit & 255]))]);
  return out;
}

test('property: every inclusion proof verifies, and every damaged proof, leaf, index or root fails', () => {
  fc.assert(
    fc.property(leavesArb, fc.nat(), fc.nat(), fc.nat(), (hs, ri, pick, bit) => {
      const n = hs.length;
      const i = ri % n;
      const root = rootHash(hs);
      const p = inclusionProof(hs, i);
      assert.ok(verifyInclusion(hs[i]!, i, n, p, root));
      for (const bad of damage(p, pick, bit)) assert.ok(!verifyInclusion(hs[i]!, i, n, bad, root));
      // Another leaf (unless the generator happened to produce that very leaf at index i).
      const other = leafHash(Buffer.from('x'));
      if (!other.equals(hs[i]!)) assert.ok(!verifyInclusion(other, i, n, p, root));
      const flipped = Buffer.from(root);
      flipped[bit % 32]! ^= 1;
      assert.ok(!verifyInclusion(hs[i]!, i, n, p, flipped));
      if (n > 1) {
        const j = (i + 1 + (pick % (n - 1))) % n;
        if (!hs[j]!.equals(hs[i]!)) assert.ok(!verifyInclusion(hs[i]!, j, n, p, root), `index ${j} instead of ${i}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: every consistency proof verifies, and every damaged proof or root fails', () => {
  fc.assert(
    fc.property(leavesArb, fc.nat(), fc.nat(), fc.nat(), (hs, rm, pick, bit) => {
      const n = hs.length;
      const m = 1 + (rm % n);
      const oldRoot = rootHash(hs, m);
      const newRoot = rootHash(hs);
      const p = consistencyProof(hs, m);
      assert.ok(verifyConsistency(m, n, oldRoot, newRoot, p));
      if (m === n) return;
      for (const bad of damage(p, pick, bit)) assert.ok(!verifyConsistency(m, n, oldRoot, newRoot, bad));
      const o2 = Buffer.from(oldRoot);
      o2[bit % 32]! ^= 1;
      assert.ok(!verifyConsistency(m, n, o2, newRoot, p));
      const n2 = Buffer.from(newRoot);
      n2[pick % 32]! ^= 1;
      assert.ok(!verifyConsistency(m, n, oldRoot, n2, p));
      // A forked history: same old size, one old leaf changed.
      const forked = [...hs];
      forked[pick % m] = leafHash(Buffer.from('fork'));
      if (!forked[pick % m]!.equals(hs[pick % m]!)) assert.ok(!verifyConsistency(m, n, rootHash(forked, m), newRoot, p));
    }),
    { numRuns: 300 },
  );
});

test('property: the append-only frontier gives the same root as the recursive definition', () => {
  fc.assert(
    fc.property(leavesArb, (hs) => {
      const f = new MerkleFrontier();
      assert.ok(f.root().equals(EMPTY_ROOT));
      hs.forEach((x, i) => {
        f.push(x);
        assert.ok(f.root().equals(rootHash(hs, i + 1)));
      });
    }),
    { numRuns: 100 },
  );
});

test('property: the incremental MerkleTree gives the same roots and proofs as the reference functions', async () => {
  const { MerkleTree } = await import('../src/merkle/tree.js');
  fc.assert(
    fc.property(leavesArb, fc.nat(), fc.nat(), (hs, a, b) => {
      const t = new MerkleTree();
      for (const x of hs) t.push(x);
      const n = hs.length;
      const size = 1 + (a % n);
      const i = b % size;
      assert.ok(t.root(size).equals(rootHash(hs, size)));
      assert.deepEqual(t.inclusionProof(i, size).map(hex), inclusionProof(hs, i, size).map(hex));
      const m = b % (size + 1);
      assert.deepEqual(t.consistencyProof(m, size).map(hex), consistencyProof(hs, m, size).map(hex));
      assert.ok(t.root(0).equals(EMPTY_ROOT));
    }),
    { numRuns: 300 },
  );
});

test('a tree of size 0 has only the empty tree hash as its root: consistency 0 -> 0 with any other root fails', () => {
  const other = leafHash(Buffer.from('x'));
  assert.ok(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []));
  assert.ok(!verifyConsistency(0, 0, EMPTY_ROOT, other, []));
  assert.ok(!verifyConsistency(0, 0, other, other, []));
  assert.ok(!verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [other]));
  assert.ok(verifyConsistency(0, 1, EMPTY_ROOT, other, []));
});
