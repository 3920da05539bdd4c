/**
 * A new organisation's audit log is verifiable from its first minute: creating it makes the
 * log key and signs the first checkpoint; a log with no key or checkpoint yet reads as
 * "nothing to verify yet", never as a failed verification.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { createSession, CSRF_HEADER, SESSION_COOKIE } from '../src/auth/sessions.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('bootstrap: the new organisation has its log key and a signed checkpoint of its first entries', async () => {
  const token = (await readFile(join(s.dataDir, 'bootstrap.token'), 'utf8')).trim();
  const c = s.client();
  const r = await c.post('/api/v1/bootstrap/organisations', { name: 'Fresh Org', admin_email: 'first@fresh.test', admin_password: 'a long first password' }, { authorization: `Bearer ${token}` });
  assert.equal(r.status, 201, r.text);
  const tenantId: string = r.json.tenant_id;
  const cps = await s.db.tx({ tenantId }, (q) => q.query<{ tree_size: string }>(`SELECT tree_size FROM audit_checkpoints`));
  assert.deepEqual(cps.rows.map((x) => Number(x.tree_size)), [2], 'one checkpoint over tenant.created and auth.user.created');
  const sess = await s.db.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: r.json.admin_id }));
  const admin = s.client();
  admin.cookies.set(SESSION_COOKIE, sess.cookie);
  admin.headers[CSRF_HEADER] = sess.csrfToken;
  const st = await admin.get('/api/v1/audit/status');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.json.state, 'verified');
  assert.equal(st.json.verified, true);
  assert.equal(st.json.latest_checkpoint.tree_size, 2);
});

test('status: a log with no key and no checkpoint is "nothing to verify yet", not a failure', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  const st = await a.client.get('/api/v1/audit/status');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.json.state, 'nothing_to_verify');
  assert.equal(st.json.reason, null);
  assert.equal(st.json.first_bad_entry, null);
  // Once signed, the same log verifies.
  assert.equal((await (await loginAs(s, { roles: ['admin'], tenantId: a.tenantId, mfaFresh: true })).client.post('/api/v1/audit/checkpoints', {})).status, 201);
  assert.equal((await a.client.get('/api/v1/audit/status')).json.state, 'verified');
});
