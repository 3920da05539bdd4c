/**
 * bench/audit. Run: node --import tsx bench/audit/index.ts [--pairs 3] [--seconds 8] [--entries 1000000]
 * With DATABASE_URL/DATABASE_ADMIN_URL set (eval "$(bash scripts/pg-setup.sh)"), measures
 * audited writes per second against plain INSERTs into an unconstrained table of the same
 * shape, 16 concurrent clients, 1 and 50 tenants, alternating plain and audited runs (the
 * machines are noisy) and printing the median ratio: committed (the entry is in the inbox,
 * atomically with the change) and end to end (until the sequencer has chained them all).
 * Always measures offline verification speed and inclusion-proof time on a synthetic log
 * of --entries entries.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, usingPostgres } from '@parapet/db/testing';
import { PostgresDatabase } from '@parapet/db';
import { EXPORT_FORMAT, ZERO_HASH, leafBytes, merkle, MerkleFrontier, verifyExport, type AuditExport, type AuditRecord } from '@parapet/core';
import { recordAudit } from '@parapet/server/platform/audit';
import { createTenant } from '@parapet/server/testing';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '8' }, entries: { type: 'string', default: '1000000' }, clients: { type: 'string', default: '16' } } });
const SECONDS = Number(values.seconds);
const ENTRIES = Number(values.entries);
const CLIENTS = Number(values.clients);
const PAIRS = Number(values.pairs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const countAs = (sql: string) => async (t: Awaited<ReturnType<typeof createTestDatabase>>, tenants: string[]) =>
  t.asAdmin(async (s) => Number((await s.query<{ n: number }>(sql, [tenants])).rows[0]!.n));
const chainedCount = countAs(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = ANY($1::uuid[])`);
const inboxCount = countAs(`SELECT count(*)::int AS n FROM audit_inbox WHERE tenant_id = ANY($1::uuid[])`);

async function writes() {
  if (!usingPostgres()) {
    console.log('writes: skipped (set DATABASE_URL and DATABASE_ADMIN_URL for real PostgreSQL)');
    return;
  }
  const t = await createTestDatabase();
  const big = new PostgresDatabase({ url: t.urls!.app, adminUrl: t.urls!.admin, max: CLIENTS });
  try {
    await t.asAdmin(async (s) => {
      await s.exec(`SET ROLE parapet_owner; CREATE TABLE bench_plain (LIKE audit_log); GRANT INSERT, SELECT ON bench_plain TO parapet_app; RESET ROLE;`);
    });
    for (const nTenants of [1, 50]) {
      const tenants: string[] = [];
      for (let i = 0; i < nTenants; i++) tenants.push(await createTenant(big));
      const count = async (op: (tenant: string, i: number) => Promise<unknown>) => {
        let n = 0;
        const end = Date.now() + SECONDS * 1000;
        await Promise.all(
          Array.from({ length: CLIENTS }, async (_, c) => {
            for (let i = 0; Date.now() < end; i++) {
              await op(tenants[(c + i) % nTenants]!, i);
              n++;
            }
          }),
        );
        return n;
      };
      const plainOp = (tenant: string, i: number) =>
        big.tx({ tenantId: tenant }, (q) =>
          q.query(
            `INSERT INTO bench_plain (tenant_id, seq, at, actor_type, actor_id, action, outcome, details, prev_hash, entry_hash, leaf) VALUES ($1, $2, now(), 'system', 'bench', 'auth.session.opened', 'success', $3, $4, $4, $5)`,
            [tenant, i, JSON.stringify({ i }), ZERO_HASH, Buffer.from('x'.repeat(300))],
          ),
        );
      // The sequencer chains audited entries meanwhile, on the same pool and the same CPUs.
      const auditedOp = (tenant: string, i: number) =>
        big.tx({ tenantId: tenant }, (q) => recordAudit(q, tenant, { type: 'system', id: 'bench', name: 'bench' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: `bench ${i}` } }));
      console.log(`writes, ${CLIENTS} clients, ${nTenants} tenant(s), ${PAIRS} alternating pairs of ${SECONDS}s:`);
      const ratios: number[] = [];
      const endToEnd: number[] = [];
      for (let pair = 0; pair < PAIRS; pair++) {
        const plain = (await count(plainOp)) / SECONDS;
        const before = await chainedCount(t, tenants);
        const committed = (await count(auditedOp)) / SECONDS;
        // End to end: until every one of those entries is hashed into its tenant's chain.
        const t0 = performance.now();
        const waiting = await inboxCount(t, tenants);
        await big.idle();
        const drainS = (performance.now() - t0) / 1000;
        const chained = (await chainedCount(t, tenants)) - before;
        if (await inboxCount(t, tenants)) throw new Error('the sequencer left entries in the inbox');
        ratios.push(committed / plain);
        endToEnd.push(chained / (SECONDS + drainS) / plain);
        console.log(`  pair ${pair + 1}: plain ${plain.toFixed(0)}/s, audited ${committed.toFixed(0)}/s committed, ${chained} chained; ${waiting} left in the inbox at the end, chained ${drainS.toFixed(2)} s later`);
      }
      console.log(`  ratio audited/plain, median of ${PAIRS}: committed ${median(ratios).toFixed(2)}, chained end to end ${median(endToEnd).toFixed(2)}`);
    }
  } finally {
    await big.close();
    await t.close();
  }
}

function syntheticExport(n: number): AuditExport {
  const tenant = randomUUID();
  const entries: AuditExport['entries'] = [];
  let prev: Buffer = ZERO_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record: AuditRecord = {
      tenant_id: tenant, seq, at: '2026-01-01T00:00:00.000000Z',
      actor: { type: 'user', id: 'u1', name: 'user@example.test', ip: '192.0.2.1', user_agent: 'bench' },
      action: 'auth.session.opened', outcome: 'success', target: null, purpose: null, details: { seq },
    };
    const leaf = leafBytes(record, prev);
    const h = merkle.leafHash(leaf);
    entries.push({ seq, leaf: leaf.toString('base64'), prev_hash: prev.toString('hex'), entry_hash: h.toString('hex'), record });
    prev = h;
  }
  return { format: EXPORT_FORMAT, tenant_id: tenant, origin: `parapet.audit/${tenant}`, log_keys: [], entries, checkpoints: [] };
}

async function offline() {
  console.log(`offline, ${ENTRIES} entries:`);
  let t0 = performance.now();
  const x = syntheticExport(ENTRIES);
  console.log(`  build synthetic export: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // A real export always carries a checkpoint; sign one with a throwaway key.
  const { generateKeyPairSync } = await import('node:crypto');
  const { signedNote } = await import('@parapet/core');
  const { privateKey } = generateKeyPairSync('ed25519');
  const f = new MerkleFrontier();
  for (const e of x.entries) f.push(Buffer.from(e.entry_hash, 'hex'));
  x.log_keys = [signedNote.verifierKey(x.origin, signedNote.rawPublicKey(privateKey))];
  x.checkpoints = [signedNote.signNote(signedNote.checkpointText({ origin: x.origin, size: ENTRIES, root: f.root() }), x.origin, privateKey)];
  t0 = performance.now();
  const r = verifyExport(x);
  const s = (performance.now() - t0) / 1000;
  if (!r.ok) throw new Error(r.reason);
  console.log(`  audit verify: ${(ENTRIES / s).toFixed(0)} entries/s (${s.toFixed(1)} s)`);
  const hashes = x.entries.map((e) => Buffer.from(e.entry_hash, 'hex'));
  t0 = performance.now();
  const root = merkle.rootHash(hashes);
  console.log(`  root over all leaf hashes: ${(performance.now() - t0).toFixed(0)} ms`);
  for (const i of [0, Math.floor(ENTRIES / 2), ENTRIES - 1]) {
    t0 = performance.now();
    const p = merkle.inclusionProof(hashes, i);
    const ms = performance.now() - t0;
    if (!merkle.verifyInclusion(hashes[i]!, i, ENTRIES, p, root)) throw new Error('proof failed');
    console.log(`  inclusion proof for leaf ${i}: ${ms.toFixed(0)} ms (recomputed from leaf hashes; ${p.length} hashes)`);
  }
  t0 = performance.now();
  const tree = new merkle.MerkleTree();
  for (const h of hashes) tree.push(h);
  console.log(`  build cached tree (server, once per tenant): ${(performance.now() - t0).toFixed(0)} ms`);
  for (const i of [0, Math.floor(ENTRIES / 2), ENTRIES - 1]) {
    t0 = performance.now();
    const p = tree.inclusionProof(i);
    const ms = performance.now() - t0;
    if (!merkle.verifyInclusion(hashes[i]!, i, ENTRIES, p, root)) throw new Error('proof failed');
    console.log(`  inclusion proof for leaf ${i} from the cached tree: ${ms.toFixed(2)} ms`);
  }
}

await writes();
await offline();
