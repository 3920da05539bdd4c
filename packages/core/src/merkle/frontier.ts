import { EMPTY_ROOT, nodeHash } from './tree.js';

/**
 * Append-only Merkle frontier: the roots of the perfect subtrees that make up the current
 * RFC 6962 tree, left to right. Appending is amortised O(1) and the root is O(log n), so a
 * verifier can check a checkpoint at every size while reading the log once.
 */
export class MerkleFrontier {
  private readonly nodes: Array<{ height: number; hash: Buffer }> = [];
  size = 0;

  push(leafHash: Uint8Array): void {
    let node: { height: number; hash: Buffer } = { height: 0, hash: Buffer.from(leafHash) };
    while (this.nodes.length && this.nodes[this.nodes.length - 1]!.height === node.height) {
      const left = this.nodes.pop()!;
      node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.nodes.push(node);
    this.size++;
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let r = this.nodes[this.nodes.length - 1]!.hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) r = nodeHash(this.nodes[i]!.hash, r);
    return r;
  }
}
