/**
 * Group commit of signed device requests (devices/accept-batcher.ts, migration 0021): many
 * requests share one statement, and each still gets exactly the verdict it would get alone. A
 * nonce is accepted at most once (also when two replicas race on it: the unique key decides),
 * a revocation is seen by the next statement, a failing row does not sink the others, and
 * nothing is accepted when the database cannot be asked. On PGlite and PostgreSQL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { PgliteDatabase, PostgresDatabase, type Database } from '@parapet/db';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { createTenant } from '../src/testing.js';
import { AcceptBatcher, type AcceptItem, type AcceptVerdict } from '../src/devices/accept-batcher.js';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
  // A signature's `created` is whole seconds and one made before the database started is
  // 'stale'; an embedded database starts with the test, so the first items could fall in its
  // starting second. Begin in the next whole second.
  const started = Number((await t.asAdmin((q) => q.query<{ s: string }>(`SELECT extract(epoch FROM pg_postmaster_start_time())::text AS s`))).rows[0]!.s);
  const wait = Math.ceil(started) * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
});
after(() => t.close());

interface Dev {
  tenantId: string;
  deviceId: string;
  key: Buffer;
}

async function device(tenantId: string): Promise<Dev> {
  const key = randomBytes(32);
  const deviceId = await t.db.tx({ tenantId }, async (q) => {
    const tok = await q.query<{ id: string }>(`INSERT INTO device_enrollment_tokens (tenant_id, token_hash, kind, created_by, expires_at, used_at) VALUES ($1, $2, 'agent', 'test', now(), now()) RETURNING id`, [tenantId, randomBytes(32)]);
    return (await q.query<{ id: string }>(`INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id) VALUES ($1, 'agent', 'd', $2, $3) RETURNING id`, [tenantId, key, tok.rows[0]!.id])).rows[0]!.id;
  });
  return { tenantId, deviceId, key };
}

const revoke = (d: Dev) => t.db.tx({ tenantId: d.tenantId }, (q) => q.query(`UPDATE devices SET status = 'revoked', revoked_at = now() WHERE id = $1`, [d.deviceId]));

const now = () => Math.floor(Date.now() / 1000);
function item(d: Dev, o: { nonce?: string; key?: Buffer; created?: number } = {}): AcceptItem {
  const created = o.created ?? now();
  return { tenantId: d.tenantId, deviceId: d.deviceId, publicKey: o.key ?? d.key, nonce: o.nonce ?? randomBytes(16).toString('base64url'), created, expires: created + 420 };
}

const nonceRows = (d: Dev) => t.db.tx({ tenantId: d.tenantId }, async (q) => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM device_nonces WHERE device_id = $1`, [d.deviceId])).rows[0]!.n);

test('one statement answers each request for its own row, in order', async () => {
  const tenant = await createTenant(t.db);
  const other = await createTenant(t.db);
  const [a, b, gone] = [await device(tenant), await device(tenant), await device(tenant)];
  const foreign = await device(other);
  await revoke(gone);
  const batcher = new AcceptBatcher(t.db);
  const seen = item(a);
  assert.equal(await batcher.accept(seen), 'accepted');
  const started = Number((await t.asAdmin((q) => q.query<{ s: string }>(`SELECT extract(epoch FROM pg_postmaster_start_time())::text AS s`))).rows[0]!.s);
  const twice = item(b);
  const items: Array<[AcceptItem, AcceptVerdict]> = [
    [item(a), 'accepted'],
    [seen, 'replayed'], // recorded by the earlier statement
    [twice, 'accepted'],
    [twice, 'replayed'], // the same nonce twice in one statement
    [item(gone), 'revoked'],
    [item(a, { key: randomBytes(32) }), 'unknown'], // a key the device does not have
    [{ ...item(foreign), tenantId: tenant }, 'unknown'], // another tenant's device (RLS)
    [{ ...item(a), deviceId: randomUUID() }, 'unknown'],
    [item(foreign), 'accepted'], // a second tenant in the same statement
    [item(b, { created: Math.floor(started) - 5 }), 'stale'],
  ];
  const before = batcher.stats.statements;
  const verdicts = await Promise.all(items.map(([i]) => batcher.accept(i)));
  assert.deepEqual(verdicts, items.map(([, v]) => v));
  assert.equal(batcher.stats.statements - before, 1, 'requests of one event-loop turn share one statement');
  assert.equal(await nonceRows(a), 2);
  assert.equal(await nonceRows(b), 1);
  assert.equal(await nonceRows(gone), 0, 'a refused request records no nonce');
});

test('the same request sent 64 times at once is accepted exactly once', async () => {
  const d = await device(await createTenant(t.db));
  const batcher = new AcceptBatcher(t.db, { maxBatch: 8 });
  const once = item(d);
  const verdicts = await Promise.all(Array.from({ length: 64 }, () => batcher.accept(once)));
  assert.equal(verdicts.filter((v) => v === 'accepted').length, 1);
  assert.equal(verdicts.filter((v) => v === 'replayed').length, 63);
  assert.ok(batcher.stats.statements >= 8, 'spread over several statements, some in flight together');
  assert.equal(await nonceRows(d), 1);
});

test('two replicas racing on the same nonces: the unique key decides, each accepted once', async () => {
  const tenant = await createTenant(t.db);
  const devs = [await device(tenant), await device(tenant)];
  // On PostgreSQL the second replica has a pool of its own (other connections, other
  // transactions); PGlite has one connection, so there it is a second batcher on it.
  const second: Database = t.urls ? new PostgresDatabase({ url: t.urls.app, max: 4 }) : t.db;
  try {
    const one = new AcceptBatcher(t.db, { maxBatch: 16 });
    const two = new AcceptBatcher(second, { maxBatch: 16 });
    const items = Array.from({ length: 80 }, (_, i) => item(devs[i % 2]!));
    const shuffled = [...items].sort(() => Math.random() - 0.5);
    const [v1, v2] = await Promise.all([Promise.all(items.map((i) => one.accept(i))), Promise.all(shuffled.map((i) => two.accept(i)))]);
    for (const [k, it] of items.entries()) {
      const pair = [v1[k], v2[shuffled.indexOf(it)]].sort();
      assert.deepEqual(pair, ['accepted', 'replayed'], `nonce ${k}`);
    }
    assert.equal((await nonceRows(devs[0]!)) + (await nonceRows(devs[1]!)), 80);
  } finally {
    if (second !== t.db) await second.close();
  }
});

test('a revocation is seen by the next statement, also for a device whose earlier requests passed', async () => {
  const tenant = await createTenant(t.db);
  const [d, keep] = [await device(tenant), await device(tenant)];
  const batcher = new AcceptBatcher(t.db);
  assert.deepEqual(await Promise.all([batcher.accept(item(d)), batcher.accept(item(keep))]), ['accepted', 'accepted']);
  await revoke(d);
  assert.deepEqual(await Promise.all([batcher.accept(item(d)), batcher.accept(item(keep)), batcher.accept(item(d))]), ['revoked', 'accepted', 'revoked']);
  assert.equal(await batcher.accept(item(d)), 'revoked');
});

test('a row that fails the statement is retried alone; the other requests keep their verdicts', async () => {
  const d = await device(await createTenant(t.db));
  const batcher = new AcceptBatcher(t.db);
  // A nonce the table refuses (CHECK: 16 to 128 characters; the hook refuses it before asking).
  const bad = item(d, { nonce: 'short' });
  const good = [item(d), item(d)];
  const out = await Promise.allSettled([batcher.accept(good[0]!), batcher.accept(bad), batcher.accept(good[1]!)]);
  assert.deepEqual(out.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(out.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<AcceptVerdict>).value), ['accepted', 'accepted']);
  assert.equal(batcher.stats.retriedAlone, 3);
  assert.equal(await nonceRows(d), 2);
  // And a retried request was not recorded twice: sending it again is a replay.
  assert.equal(await batcher.accept(good[0]!), 'replayed');
});

test('nothing is accepted when the database cannot be asked', async () => {
  const d = await device(await createTenant(t.db));
  let down: Database;
  if (t.urls) {
    // A port nobody listens on: connections are refused, as when PostgreSQL is down.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const u = new URL(t.urls.app);
    u.port = String(port);
    down = new PostgresDatabase({ url: u.toString(), max: 2 });
  } else {
    down = await PgliteDatabase.open();
    await down.close();
  }
  const batcher = new AcceptBatcher(down);
  const out = await Promise.allSettled([batcher.accept(item(d)), batcher.accept(item(d)), batcher.accept(item(d))]);
  assert.deepEqual(out.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
  assert.equal(await batcher.accept(item(d)).then(() => 'resolved', () => 'rejected'), 'rejected');
  if (t.urls) await down.close();
});

test('device_requests_accept leaves the calling transaction its own tenant and actor', async () => {
  const d = await device(await createTenant(t.db));
  const other = await createTenant(t.db);
  const i = item(d);
  const seen = await t.db.tx({ tenantId: other, actor: 'user:x' }, async (q) => {
    const out = (await q.query<{ o: string[] }>(`SELECT device_requests_accept($1::uuid[], $2::uuid[], $3::bytea[], $4::text[], $5::bigint[], $6::bigint[]) AS o`, [[i.tenantId], [i.deviceId], [i.publicKey], [i.nonce], [i.expires], [i.created]])).rows[0]!.o;
    const s = (await q.query<{ t: string; a: string }>(`SELECT current_setting('app.tenant_id') AS t, current_setting('app.actor') AS a`)).rows[0]!;
    return { out, tenant: s.t, actor: s.a };
  });
  assert.deepEqual(seen, { out: ['accepted'], tenant: other, actor: 'user:x' });
});

test('property: any mix of requests, batch sizes and concurrency gives the verdicts of one-at-a-time', async () => {
  const tenant = await createTenant(t.db);
  const devs = [await device(tenant), await device(tenant), await device(tenant)];
  await revoke(devs[2]!);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ dev: fc.integer({ min: 0, max: 2 }), nonce: fc.integer({ min: 0, max: 5 }), wrongKey: fc.boolean() }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 3 }),
      async (reqs, maxBatch, maxInFlight) => {
        const run = randomBytes(6).toString('hex');
        const stranger = randomBytes(32);
        const items = reqs.map((r) => item(devs[r.dev]!, { nonce: `${run}-nonce-${r.nonce}`, ...(r.wrongKey ? { key: stranger } : {}) }));
        const batcher = new AcceptBatcher(t.db, { maxBatch, maxInFlight });
        const verdicts = await Promise.all(items.map((i) => batcher.accept(i)));
        // The model: a wrong key is unknown, a revoked device revoked; otherwise each
        // (device, nonce) is accepted exactly once, whichever request of it got there first.
        const accepted = new Map<string, number>();
        reqs.forEach((r, k) => {
          const expected = r.wrongKey ? 'unknown' : r.dev === 2 ? 'revoked' : undefined;
          if (expected) return assert.equal(verdicts[k], expected);
          assert.ok(verdicts[k] === 'accepted' || verdicts[k] === 'replayed', String(verdicts[k]));
          const key = `${r.dev}/${r.nonce}`;
          accepted.set(key, (accepted.get(key) ?? 0) + (verdicts[k] === 'accepted' ? 1 : 0));
        });
        for (const [key, n] of accepted) assert.equal(n, 1, `${key} accepted ${n} times`);
      },
    ),
    { numRuns: 40 },
  );
});
