import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { EXPORT_FORMAT, verifyExport, type AuditExport } from '../src/audit/export.js';
import { leafBytes, ZERO_HASH, type AuditRecord } from '../src/audit/leaf.js';
import { leafHash } from '../src/merkle/tree.js';
import { MerkleFrontier } from '../src/merkle/frontier.js';
import { checkpointText, rawPublicKey, signNote, verifierKey } from '../src/merkle/note.js';

function makeExport(details: Array<Record<string, unknown>>): AuditExport {
  const tenant = randomUUID();
  const origin = `parapet.audit/${tenant}`;
  const { privateKey } = generateKeyPairSync('ed25519');
  const f = new MerkleFrontier();
  let prev: Buffer = ZERO_HASH;
  const entries: AuditExport['entries'] = details.map((d, i) => {
    const record: AuditRecord = { tenant_id: tenant, seq: i + 1, at: '2026-01-01T00:00:00.000000Z', actor: { type: 'system', id: 's', name: null, ip: null, user_agent: null }, action: 'auth.session.opened', outcome: 'success', target: null, purpose: null, details: d };
    const leaf = leafBytes(record, prev);
    const h = leafHash(leaf);
    const e = { seq: i + 1, leaf: leaf.toString('base64'), prev_hash: prev.toString('hex'), entry_hash: h.toString('hex'), record };
    prev = h;
    f.push(h);
    return e;
  });
  return { format: EXPORT_FORMAT, tenant_id: tenant, origin, log_keys: [verifierKey(origin, rawPublicKey(privateKey))], entries, checkpoints: [signNote(checkpointText({ origin, size: entries.length, root: f.root() }), origin, privateKey)] };
}

const detailsArb = fc.array(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean())), { minLength: 1, maxLength: 12 });

test('property: an intact export verifies; changing any one entry (columns, leaf or hashes) is caught at that entry or its checkpoint', () => {
  fc.assert(
    fc.property(detailsArb, fc.nat(), fc.nat({ max: 3 }), (details, pick, how) => {
      const x = makeExport(details);
      assert.ok(verifyExport(x).ok);
      const i = pick % x.entries.length;
      const e = x.entries[i]!;
      const bad = structuredClone(x);
      if (how === 0) bad.entries[i]!.record.details = { ...e.record.details, tampered: 1 };
      if (how === 1) bad.entries[i]!.leaf = Buffer.from(Buffer.from(e.leaf, 'base64').toString().replace('"auth.session.opened"', '"auth.session.closed"')).toString('base64');
      if (how === 2) bad.entries[i]!.entry_hash = '00'.repeat(32);
      if (how === 3) {
        // Recompute this leaf and all after it consistently (a rewritten tail): only the checkpoint catches it.
        let prev: Buffer = Buffer.from(e.prev_hash, 'hex');
        for (let j = i; j < bad.entries.length; j++) {
          const r = j === i ? { ...bad.entries[j]!.record, details: { rewritten: true } } : bad.entries[j]!.record;
          const leaf = leafBytes(r, prev);
          const h = leafHash(leaf);
          bad.entries[j] = { ...bad.entries[j]!, record: r, leaf: leaf.toString('base64'), prev_hash: prev.toString('hex'), entry_hash: h.toString('hex') };
          prev = h;
        }
      }
      const r = verifyExport(bad);
      assert.equal(r.ok, false);
      assert.equal(r.seq, how === 3 ? x.entries.length : i + 1, r.reason);
    }),
    { numRuns: 150 },
  );
});
