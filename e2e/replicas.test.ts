/**
 * Parapet beyond one machine (OPS): two server processes on one PostgreSQL behind HAProxy
 * (Debian's, TCP mode, round robin, TLS passes through). Sessions, step-up, device nonces,
 * revocation and the audit sequencer must hold across replicas, and killing a replica
 * mid-run must lose or duplicate nothing that a client was told succeeded.
 *
 * PostgreSQL only: the embedded engine lives inside one process and cannot be shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { signHeaders } from '@parapet/device-client';
import { createTestDatabase, usingPostgres } from '@parapet/db/testing';
import { PostgresDatabase } from '@parapet/db';
import { createSession, CSRF_HEADER, SESSION_COOKIE } from '@parapet/server/auth/sessions';
import { call, haproxyAvailable, startCluster, type Cluster, type Res } from './cluster.js';

const haproxy = haproxyAvailable();

test('two replicas behind HAProxy: shared sessions, nonces and revocation; a replica killed mid-run loses nothing', { skip: !usingPostgres() ? 'needs PostgreSQL (DATABASE_URL)' : !haproxy ? 'needs haproxy (Debian package)' : false, timeout: 240_000 }, async (t) => {
  const tdb = await createTestDatabase();
  let cluster: Cluster | undefined;
  const app = new PostgresDatabase({ url: tdb.urls!.app, max: 2 });
  try {
    cluster = await startCluster({ app: tdb.urls!.app, admin: tdb.urls!.admin });
    const [a, b] = cluster.replicas as [Cluster['replicas'][0], Cluster['replicas'][0]];
    const { base, ca } = cluster;

    // An organisation through the balancer, and an admin session with fresh MFA.
    const token = cluster.bootstrapToken;
    const org = await call(base, ca, 'POST', '/api/v1/bootstrap/organisations', { json: { name: 'Replica Corp', admin_email: 'admin@replica.test', admin_password: 'correct horse battery staple 42' }, headers: { authorization: `Bearer ${token}` } });
    assert.equal(org.status, 201, JSON.stringify(org.json));
    const tenantId = org.json.tenant_id as string;
    const sess = await app.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: org.json.admin_id, mfaVerifiedAt: new Date() }));
    const admin = { cookie: `${SESSION_COOKIE}=${sess.cookie}`, [CSRF_HEADER]: sess.csrfToken };

    // Sessions are shared: twenty requests land on both replicas and all are signed in.
    const before = { a: (a.logs().match(/"url":"\/api\/v1\/devices"/g) ?? []).length, b: (b.logs().match(/"url":"\/api\/v1\/devices"/g) ?? []).length };
    for (let i = 0; i < 20; i++) assert.equal((await call(base, ca, 'GET', '/api/v1/devices', { headers: admin })).status, 200);
    const served = { a: (a.logs().match(/"url":"\/api\/v1\/devices"/g) ?? []).length - before.a, b: (b.logs().match(/"url":"\/api\/v1\/devices"/g) ?? []).length - before.b };
    t.diagnostic(`session requests served: a=${served.a} b=${served.b}`);
    assert.ok(served.a > 0 && served.b > 0, `both replicas serve (a=${served.a}, b=${served.b})`);

    // A device enrolled through one replica; its signed request replayed to the other is refused.
    const tok = await call(base, ca, 'POST', '/api/v1/devices/enrollment-tokens', { json: { kind: 'agent' }, headers: admin });
    assert.equal(tok.status, 201, JSON.stringify(tok.json));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const enrollUrl = new URL('/api/v1/devices/enroll', `https://127.0.0.1:${a.port}`);
    const enrollBody = Buffer.from(JSON.stringify({ token: tok.json.token, kind: 'agent', name: 'replica-laptop', public_key: publicKey.export({ format: 'jwk' }).x, key_store: 'file' }));
    const enrolled = await call(`https://127.0.0.1:${a.port}`, ca, 'POST', '/api/v1/devices/enroll', { body: enrollBody, headers: signHeaders(enrollUrl, 'POST', enrollBody, privateKey, 'enroll') });
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.json));
    const key = privateKey;
    const hbBody = Buffer.from('{}');
    // The signature covers @authority, so sign for the balancer's authority and send the same
    // bytes straight to each replica with that Host.
    const hbUrl = new URL('/api/v1/devices/heartbeat', base);
    const hb = signHeaders(hbUrl, 'POST', hbBody, key, enrolled.json.keyid);
    const first = await call(`https://127.0.0.1:${a.port}`, ca, 'POST', '/api/v1/devices/heartbeat', { body: hbBody, headers: { ...hb, host: hbUrl.host } });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const replay = await call(`https://127.0.0.1:${b.port}`, ca, 'POST', '/api/v1/devices/heartbeat', { body: hbBody, headers: { ...hb, host: hbUrl.host } });
    assert.equal(replay.status, 401, 'a nonce used on replica a is refused on replica b');

    // Revocation through the balancer takes effect on the next request on both replicas.
    const rev = await call(base, ca, 'POST', `/api/v1/devices/${enrolled.json.device_id}/revoke`, { json: {}, headers: admin });
    assert.ok(rev.status < 300, JSON.stringify(rev.json));
    for (const r of [a, b]) {
      const u = new URL('/api/v1/devices/heartbeat', `https://127.0.0.1:${r.port}`);
      const res = await call(`https://127.0.0.1:${r.port}`, ca, 'POST', '/api/v1/devices/heartbeat', { body: hbBody, headers: signHeaders(u, 'POST', hbBody, key, enrolled.json.keyid) });
      assert.equal(res.status, 401, `revoked device refused on replica ${r.name}`);
    }

    // Load with a kill: 8 clients create enrollment tokens through the balancer; replica a is
    // killed with SIGKILL after the first 40. A request whose connection dies is retried (the
    // client cannot know whether it committed); every acknowledged token must be in the
    // database and in the audit log exactly once.
    const acked: string[] = [];
    let errors = 0;
    let sent = 0;
    let killed = false;
    const worker = async () => {
      while (sent < 160) {
        sent++;
        if (sent > 40 && !killed) {
          killed = true;
          a.child.kill('SIGKILL');
        }
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            const r = await call(base, ca, 'POST', '/api/v1/devices/enrollment-tokens', { json: { kind: 'worker' }, headers: admin });
            if (r.status === 201) {
              acked.push(r.json.id ?? r.json.token_id);
              break;
            }
            errors++;
          } catch {
            errors++;
          }
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await a.exited;
    t.diagnostic(`acknowledged=${acked.length} transport_errors_retried=${errors}`);
    assert.equal(acked.length, 160, 'every logical request was eventually acknowledged');
    assert.ok(acked.every(Boolean), 'every response names its token');

    // The surviving replica chains what the dead one left in the inbox (its sweep), and the
    // log verifies with each acknowledged token audited exactly once.
    let status: Res | undefined;
    for (let i = 0; i < 60; i++) {
      status = await call(base, ca, 'GET', '/api/v1/audit/status', { headers: admin });
      const inbox = await tdb.asAdmin((s) => s.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_inbox WHERE tenant_id = $1`, [tenantId]));
      if (status.status === 200 && inbox.rows[0]!.n === '0') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // A checkpoint over everything, signed by the surviving replica, then a full re-check.
    assert.ok((await call(base, ca, 'POST', '/api/v1/audit/checkpoints', { json: {}, headers: admin })).status < 300);
    status = await call(base, ca, 'GET', '/api/v1/audit/status', { headers: admin });
    assert.equal(status!.status, 200, JSON.stringify(status!.json));
    assert.equal(status!.json.verified, true, JSON.stringify(status!.json));
    const rows = await tdb.asAdmin((s) => s.query<{ target_id: string; n: string }>(`SELECT target_id, count(*)::text AS n FROM audit_log WHERE tenant_id = $1 AND target_type = 'enrollment_token' AND outcome = 'success' GROUP BY target_id`, [tenantId]));
    const audited = new Map(rows.rows.map((r) => [r.target_id, Number(r.n)]));
    for (const id of acked) assert.equal(audited.get(id), 1, `token ${id} audited exactly once`);
    const gaps = await tdb.asAdmin((s) => s.query<{ n: string; max: string }>(`SELECT count(*)::text AS n, max(seq)::text AS max FROM audit_log WHERE tenant_id = $1`, [tenantId]));
    assert.equal(gaps.rows[0]!.n, gaps.rows[0]!.max, 'one gapless chain: no fork from two sequencers');
  } finally {
    await cluster?.stop();
    await app.close();
    await tdb.close();
  }
});
