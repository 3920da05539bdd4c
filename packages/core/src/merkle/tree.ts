/**
 * RFC 6962 / RFC 9162 (section 2.1) Merkle tree hashing, inclusion and consistency proofs.
 * Leaves are given as their leaf hashes (SHA-256(0x00 || leaf bytes)) so a caller that
 * stores leaf hashes never rehashes leaf data; interior nodes are SHA-256(0x01 || l || r).
 */
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(leaf).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes[lo, hi). */
function mth(h: readonly Uint8Array[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return Buffer.from(h[lo]!);
  const k = split(n);
  return nodeHash(mth(h, lo, lo + k), mth(h, lo + k, hi));
}

/** The Merkle tree hash of the first `size` leaves (all when omitted). */
export function rootHash(leafHashes: readonly Uint8Array[], size = leafHashes.length): Buffer {
  checkSize(size, leafHashes.length);
  return mth(leafHashes, 0, size);
}

function checkSize(size: number, have: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > have) throw new RangeError(`Tree size ${size} is outside 0..${have}.`);
}

type RangeHash = (lo: number, hi: number) => Buffer;

/** PATH(m, D[n]) of RFC 9162 2.1.3.1, for leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size = leafHashes.length): Buffer[] {
  checkSize(size, leafHashes.length);
  return pathOf((lo, hi) => mth(leafHashes, lo, hi), index, size);
}

function pathOf(mthR: RangeHash, index: number, size: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`Leaf index ${index} is outside 0..${size - 1}.`);
  const out: Buffer[] = [];
  const path = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      path(m, lo, lo + k);
      out.push(mthR(lo + k, hi));
    } else {
      path(m - k, lo + k, hi);
      out.push(mthR(lo, lo + k));
    }
  };
  path(index, 0, size);
  return out;
}

/** PROOF(m, D[n]) of RFC 9162 2.1.4.1: consistency of the first `oldSize` leaves with the first `newSize`. */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number, newSize = leafHashes.length): Buffer[] {
  checkSize(newSize, leafHashes.length);
  return proofOf((lo, hi) => mth(leafHashes, lo, hi), oldSize, newSize);
}

function proofOf(mthR: RangeHash, oldSize: number, newSize: number): Buffer[] {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) throw new RangeError(`Old size ${oldSize} is outside 0..${newSize}.`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const out: Buffer[] = [];
  const sub = (m: number, lo: number, hi: number, b: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!b) out.push(mthR(lo, hi));
      return;
    }
    const k = split(n);
    if (m <= k) {
      sub(m, lo, lo + k, b);
      out.push(mthR(lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      out.push(mthR(lo, lo + k));
    }
  };
  sub(oldSize, 0, newSize, true);
  return out;
}

const odd = (x: number) => x % 2 === 1;
function isPowerOfTwo(x: number): boolean {
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
const half = (x: number) => Math.floor(x / 2);

/** RFC 9162 2.1.3.2. True when `proof` shows leaf hash `leaf` at `index` in the tree with `root`. */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leaf.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 2.1.4.2. True when `proof` shows the tree (oldSize, oldRoot) is a prefix of (newSize, newRoot). */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (oldRoot.length !== 32 || newRoot.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  // A tree is consistent with itself only if the roots agree, and a tree of size 0 has exactly
  // one root, the empty tree's; every tree extends the empty tree with an empty proof.
  if (oldSize === newSize) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot) && (newSize > 0 || Buffer.from(newRoot).equals(EMPTY_ROOT));
  if (oldSize === 0) return proof.length === 0 && Buffer.from(oldRoot).equals(EMPTY_ROOT);
  if (proof.length === 0) return false;
  const path = [...proof];
  // oldSize a power of two: the old root is itself a node of the new tree.
  if (isPowerOfTwo(oldSize)) path.unshift(oldRoot);
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

/**
 * Leaf hashes plus every complete interior node, kept as the log grows. Any perfect,
 * aligned subtree is a lookup, so a root or proof costs O(log^2 n) hashes instead of O(n):
 * the server keeps one per tenant for the proof API.
 */
export class MerkleTree {
  private readonly levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  leaf(index: number): Buffer {
    const h = this.levels[0]![index];
    if (!h) throw new RangeError(`Leaf index ${index} is outside 0..${this.size - 1}.`);
    return h;
  }

  push(leafHash: Uint8Array): void {
    let node: Buffer = Buffer.from(leafHash);
    for (let k = 0; ; k++) {
      const level = (this.levels[k] ??= []);
      level.push(node);
      if (level.length % 2 === 1) return;
      node = nodeHash(level[level.length - 2]!, node);
    }
  }

  private range: RangeHash = (lo, hi) => {
    const n = hi - lo;
    if (n === 0) return EMPTY_ROOT;
    if (isPowerOfTwo(n) && lo % n === 0) {
      const k = Math.round(Math.log2(n));
      const hit = this.levels[k]?.[lo / n];
      if (hit) return hit;
    }
    const k = split(n);
    return nodeHash(this.range(lo, lo + k), this.range(lo + k, hi));
  };

  root(size = this.size): Buffer {
    checkSize(size, this.size);
    return this.range(0, size);
  }

  inclusionProof(index: number, size = this.size): Buffer[] {
    checkSize(size, this.size);
    return pathOf(this.range, index, size);
  }

  consistencyProof(oldSize: number, newSize = this.size): Buffer[] {
    checkSize(newSize, this.size);
    return proofOf(this.range, oldSize, newSize);
  }
}
