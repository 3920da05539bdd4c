/**
 * bench/device-auth: device requests per second through the full Fastify path (hooks, body
 * parsing, route), signed (RFC 9421 verify + device lookup + nonce insert + Content-Digest) vs
 * the same requests unsigned, in the same run, on one core (node is single-threaded and the
 * default engine, PGlite, runs in this thread; with DATABASE_URL the PostgreSQL server's work
 * happens in other processes). Usage: node --import tsx bench/device-auth/index.ts [N]
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpsig, KeyRing } from '@parapet/core';
import { createTestDatabase } from '@parapet/db/testing';
import { buildApp } from '@parapet/server';

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = 3;

const tdb = await createTestDatabase();
const dataDir = await mkdtemp(join(tmpdir(), 'parapet-bench-'));
const tenantId = randomUUID();
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
const deviceId = await tdb.db.tx({ tenantId }, async (q) => {
  await q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, [tenantId, 'bench-' + tenantId.slice(0, 8)]);
  const t = await q.query<{ id: string }>(`INSERT INTO device_enrollment_tokens (tenant_id, token_hash, kind, created_by, expires_at, used_at) VALUES ($1, $2, 'agent', 'bench', now(), now()) RETURNING id`, [tenantId, randomBytes(32)]);
  return (await q.query<{ id: string }>(`INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id) VALUES ($1, 'agent', 'bench', $2, $3) RETURNING id`, [tenantId, raw, t.rows[0]!.id])).rows[0]!.id;
});
const keyid = `${tenantId}.${deviceId}`;

const app = await buildApp({ db: tdb.db, keys: new KeyRing([{ id: 'k', key: randomBytes(32) }], 'k'), dataDir, now: () => new Date() });
app.post('/bench/echo', async (req) => ({ principal: req.principal?.kind ?? 'none' }));
await app.ready();

const payload = Buffer.from(JSON.stringify({ version: '1.2.3', platform: 'linux', samples: [1, 2, 3, 4, 5] }));
const host = 'bench.example:443';
function signedHeaders(): Record<string, string> {
  const created = Math.floor(Date.now() / 1000);
  const h: Record<string, string> = { host, 'content-type': 'application/json', 'content-digest': httpsig.contentDigest(payload) };
  const s = httpsig.signRequest(
    { method: 'POST', authority: host, target: '/bench/echo', headers: h },
    { components: ['@method', '@authority', '@path', '@query', 'content-digest'], params: { created, expires: created + 60, nonce: randomBytes(16).toString('base64url'), keyid, alg: 'ed25519' }, privateKey },
  );
  return { ...h, ...s };
}

async function runBatch(headers: Array<Record<string, string>>, expect: string): Promise<number> {
  const t0 = performance.now();
  for (const h of headers) {
    const r = await app.inject({ method: 'POST', url: '/bench/echo', headers: h, payload });
    if (r.statusCode !== 200 || r.json().principal !== expect) throw new Error(`unexpected ${r.statusCode} ${r.body}`);
  }
  return performance.now() - t0;
}

// Pure verification cost (parse + policy + ed25519 verify), no HTTP or database.
const sample = { method: 'POST', authority: host, target: '/bench/echo', headers: signedHeaders() };
let t0 = performance.now();
for (let i = 0; i < N; i++) {
  const p = httpsig.parseSignature(sample);
  httpsig.checkPolicy(p, { required: ['@method', '@authority', '@path', '@query'], skewSeconds: 60, maxAgeSeconds: 300 });
  httpsig.verifySignature(sample, p, publicKey);
}
const pureVerifyPerSec = N / ((performance.now() - t0) / 1000);

await runBatch(Array.from({ length: 200 }, () => ({ host, 'content-type': 'application/json' })), 'none'); // warm-up
await runBatch(Array.from({ length: 200 }, signedHeaders), 'device');
let unsignedMs = 0;
let signedMs = 0;
for (let r = 0; r < ROUNDS; r++) {
  unsignedMs += await runBatch(Array.from({ length: N }, () => ({ host, 'content-type': 'application/json' })), 'none');
  signedMs += await runBatch(Array.from({ length: N }, signedHeaders), 'device');
}
t0 = 0;
const unsignedPerSec = (N * ROUNDS) / (unsignedMs / 1000);
const signedPerSec = (N * ROUNDS) / (signedMs / 1000);
const result = {
  bench: 'device-auth',
  engine: tdb.engine,
  requests: N * ROUNDS,
  unsigned_per_sec: Math.round(unsignedPerSec),
  signed_per_sec: Math.round(signedPerSec),
  signed_to_unsigned_ratio: Number((signedPerSec / unsignedPerSec).toFixed(3)),
  pure_verify_per_sec: Math.round(pureVerifyPerSec),
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
await app.close();
await tdb.close();
await rm(dataDir, { recursive: true, force: true });
