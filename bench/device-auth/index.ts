/**
 * bench/device-auth: device requests per second through the full Fastify path (hooks, body
 * parsing, route), signed (RFC 9421 verify + device lookup + nonce insert + Content-Digest) vs
 * the same requests unsigned, in the same run. The server's JavaScript runs in this one thread,
 * as does the default engine, PGlite; the Ed25519 checks run on libuv's thread pool, and with
 * DATABASE_URL the PostgreSQL server's work happens in other processes, so those use other
 * cores when there are any. Two loads, each signed and unsigned, rounds interleaved:
 *   concurrent  C requests in flight at once (many devices; C = 32 by default), the rate a
 *               server sustains; concurrent requests share one nonce statement (group commit);
 *   sequential  one request at a time, so every signed request waits out its own database
 *               round trip: a latency figure more than a rate;
 *   heartbeat   C in flight of the agents' most frequent real request, POST
 *               /api/v1/devices/heartbeat (a transaction that reads and updates the device),
 *               signed against the same route with the device named by a header this benchmark
 *               alone trusts: what the signature costs a request that does its own work.
 * Prints the ratios of each and the load average, since the machine may be shared.
 * Usage: node --import tsx bench/device-auth/index.ts [N] [C] [concurrent,sequential,heartbeat]
 */
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpsig, KeyRing } from '@parapet/core';
import { createTestDatabase } from '@parapet/db/testing';
import { buildApp } from '@parapet/server';
import { registerPrincipalResolver } from '@parapet/server/platform/principal';

const N = Number(process.argv[2] ?? 1000);
const C = Number(process.argv[3] ?? 32);
const LOADS = (process.argv[4] ?? 'concurrent,sequential,heartbeat').split(',');
const ROUNDS = 4;

const tdb = await createTestDatabase();
const dataDir = await mkdtemp(join(tmpdir(), 'parapet-bench-'));
const tenantId = randomUUID();
/**
 * C devices, so the heartbeat load's concurrent transactions update different rows as a fleet's
 * would (one device's heartbeats would queue on its row lock); the echo loads sign as the first.
 */
const fleet = await tdb.db.tx({ tenantId }, async (q) => {
  await q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, [tenantId, 'bench-' + tenantId.slice(0, 8)]);
  const t = await q.query<{ id: string }>(`INSERT INTO device_enrollment_tokens (tenant_id, token_hash, kind, created_by, expires_at, used_at) VALUES ($1, $2, 'agent', 'bench', now(), now()) RETURNING id`, [tenantId, randomBytes(32)]);
  const out: Array<{ id: string; privateKey: KeyObject; publicKey: KeyObject }> = [];
  for (let i = 0; i < C; i++) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const id = (await q.query<{ id: string }>(`INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id) VALUES ($1, 'agent', $2, $3, $4) RETURNING id`, [tenantId, `bench-${i}`, raw, t.rows[0]!.id])).rows[0]!.id;
    out.push({ id, privateKey, publicKey });
  }
  return out;
});
const { id: deviceId, publicKey } = fleet[0]!;
const fleetIds = new Set(fleet.map((d) => d.id));

const app = await buildApp({ db: tdb.db, keys: new KeyRing([{ id: 'k', key: randomBytes(32) }], 'k'), dataDir, now: () => new Date() });
app.post('/bench/echo', async (req) => ({ principal: req.principal?.kind ?? 'none' }));
// The unsigned side of the heartbeat load: the device named by a header, as if its signature
// had been checked. Asked after the signature resolver, so a signed request never reaches it.
registerPrincipalResolver(app, async (req) => {
  const id = req.headers['x-bench-device'];
  return typeof id === 'string' && fleetIds.has(id) ? { kind: 'device', tenantId, deviceId: id, deviceKind: 'agent', name: 'bench' } : null;
});
await app.ready();

const payload = Buffer.from(JSON.stringify({ version: '1.2.3', platform: 'linux', samples: [1, 2, 3, 4, 5] }));
const host = 'bench.example:443';
const HEARTBEAT = '/api/v1/devices/heartbeat';
const heartbeat = Buffer.from(JSON.stringify({ version: '1.2.3', platform: 'linux' }));
function signedHeaders(target = '/bench/echo', body = payload, device = fleet[0]!): Record<string, string> {
  const created = Math.floor(Date.now() / 1000);
  const h: Record<string, string> = { host, 'content-type': 'application/json', 'content-digest': httpsig.contentDigest(body) };
  const s = httpsig.signRequest(
    { method: 'POST', authority: host, target, headers: h },
    { components: ['@method', '@authority', '@path', '@query', 'content-digest'], params: { created, expires: created + 60, nonce: randomBytes(16).toString('base64url'), keyid: `${tenantId}.${device.id}`, alg: 'ed25519' }, privateKey: device.privateKey },
  );
  return { ...h, ...s };
}

/**
 * Sends every request, `concurrency` in flight at a time, to the echo route (`expect`: the
 * principal kind it must answer) or to the heartbeat route; returns the elapsed ms.
 */
async function runBatch(headers: Array<Record<string, string>>, expect: string, concurrency = 1, url = '/bench/echo'): Promise<number> {
  const body = url === HEARTBEAT ? heartbeat : payload;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < headers.length) {
      const h = headers[next++]!;
      const r = await app.inject({ method: 'POST', url, headers: h, payload: body });
      const ok = url === HEARTBEAT ? r.statusCode === 200 && fleetIds.has(r.json().device_id) : r.statusCode === 200 && r.json().principal === expect;
      if (!ok) throw new Error(`unexpected ${r.statusCode} ${r.body}`);
    }
  }));
  return performance.now() - t0;
}

// Pure verification cost (parse + policy + ed25519 verify), no HTTP or database.
const sample = { method: 'POST', authority: host, target: '/bench/echo', headers: signedHeaders() };
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const p = httpsig.parseSignature(sample);
  httpsig.checkPolicy(p, { required: ['@method', '@authority', '@path', '@query'], skewSeconds: 60, maxAgeSeconds: 300 });
  httpsig.verifySignature(sample, p, publicKey);
}
const pureVerifyPerSec = N / ((performance.now() - t0) / 1000);

await runBatch(Array.from({ length: 200 }, () => ({ host, 'content-type': 'application/json' })), 'none'); // warm-up
await runBatch(Array.from({ length: 200 }, () => signedHeaders()), 'device');
await runBatch(Array.from({ length: 200 }, () => signedHeaders()), 'device', C);
if (LOADS.includes('heartbeat')) {
  await runBatch(Array.from({ length: 200 }, (_, i) => signedHeaders(HEARTBEAT, heartbeat, fleet[i % C])), 'device', C, HEARTBEAT);
  await runBatch(Array.from({ length: 200 }, (_, i) => ({ host, 'content-type': 'application/json', 'x-bench-device': fleet[i % C]!.id })), 'device', C, HEARTBEAT);
}
const load = loadavg();
/**
 * Requests per second signed and unsigned at one concurrency, rounds interleaved (and which
 * goes first alternating) so a change in the machine's load hits both alike. Also this
 * process's CPU time per request (µs): on PGlite that includes the database's work, on
 * PostgreSQL only the server's own.
 */
async function measure(concurrency: number, url = '/bench/echo') {
  const ms = { unsigned: 0, signed: 0 };
  const cpu = { unsigned: 0, signed: 0 };
  const hb = url === HEARTBEAT;
  const run = async (kind: 'unsigned' | 'signed') => {
    // Signed just before sending, so `created` is fresh.
    const headers = kind === 'signed'
      ? Array.from({ length: N }, (_, i) => (hb ? signedHeaders(HEARTBEAT, heartbeat, fleet[i % C]) : signedHeaders()))
      : Array.from({ length: N }, (_, i) => ({ host, 'content-type': 'application/json', ...(hb ? { 'x-bench-device': fleet[i % C]!.id } : {}) }));
    const c0 = process.cpuUsage();
    ms[kind] += await runBatch(headers, kind === 'signed' || hb ? 'device' : 'none', concurrency, url);
    const c = process.cpuUsage(c0);
    cpu[kind] += c.user + c.system;
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of r % 2 ? (['signed', 'unsigned'] as const) : (['unsigned', 'signed'] as const)) await run(kind);
  }
  const perSec = (k: 'unsigned' | 'signed') => (N * ROUNDS) / (ms[k] / 1000);
  return {
    concurrency,
    unsigned_per_sec: Math.round(perSec('unsigned')),
    signed_per_sec: Math.round(perSec('signed')),
    signed_to_unsigned_ratio: Number((perSec('signed') / perSec('unsigned')).toFixed(3)),
    cpu_us_per_request: { unsigned: Math.round(cpu.unsigned / (N * ROUNDS)), signed: Math.round(cpu.signed / (N * ROUNDS)) },
  };
}
const concurrent = LOADS.includes('concurrent') ? await measure(C) : undefined;
const sequential = LOADS.includes('sequential') ? await measure(1) : undefined;
const heartbeatLoad = LOADS.includes('heartbeat') ? await measure(C, HEARTBEAT) : undefined;
const result = {
  bench: 'device-auth',
  engine: tdb.engine,
  requests_per_measurement: N * ROUNDS,
  concurrent,
  sequential,
  heartbeat: heartbeatLoad,
  pure_verify_per_sec: Math.round(pureVerifyPerSec),
  load_average_1m: [Number(load[0]!.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
await app.close();
await tdb.close();
await rm(dataDir, { recursive: true, force: true });
