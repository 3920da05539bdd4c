import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestServer, createUser, loginAs, startTestServer } from '../src/testing.js';
import { delegatedCategories } from '../src/auth/relations.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('admins delegate app categories (step-up); the PDP reads them; others may not', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const u = await createUser(s.db, admin.tenantId, { roles: ['security_lead'] });
  const r = await admin.client.post('/api/v1/auth/delegations', { grantee_type: 'user', grantee_id: u.userId, category: 'hr_tools' });
  assert.equal(r.status, 201, r.text);
  assert.equal((await admin.client.post('/api/v1/auth/delegations', { grantee_type: 'user', grantee_id: u.userId, category: 'hr_tools' })).status, 409);
  assert.deepEqual(await s.db.tx({ tenantId: admin.tenantId }, (q) => delegatedCategories(q, u.userId)), ['hr_tools']);

  const stale = await loginAs(s, { roles: ['admin'], tenantId: admin.tenantId });
  assert.equal((await stale.client.post('/api/v1/auth/delegations', { grantee_type: 'user', grantee_id: u.userId, category: 'x' })).json.code, 'step_up_required');
  const lead = await loginAs(s, { roles: ['security_lead'], tenantId: admin.tenantId, mfaFresh: true });
  assert.equal((await lead.client.post('/api/v1/auth/delegations', { grantee_type: 'user', grantee_id: u.userId, category: 'x' })).status, 403);
  // Another tenant's admin sees none of it.
  const other = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  assert.deepEqual((await other.client.get('/api/v1/auth/delegations')).json.delegations, []);
  assert.equal((await other.client.request('DELETE', `/api/v1/auth/delegations/${r.json.id}`)).status, 404);

  assert.equal((await admin.client.request('DELETE', `/api/v1/auth/delegations/${r.json.id}`)).status, 204);
  assert.deepEqual(await s.db.tx({ tenantId: admin.tenantId }, (q) => delegatedCategories(q, u.userId)), []);
  const log = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ action: string; decision: string | null }>(`SELECT action, details->>'decision' AS decision FROM audit_log ORDER BY seq`));
  // authz.delegation.manage is sensitive: the guard records every decision, allowed or not.
  assert.deepEqual(log.rows.map((x) => (x.decision ? `${x.action}:${x.decision}` : x.action)), [
    'authz.access.allowed:allow', 'authz.delegation.granted',
    'authz.access.allowed:allow', // the duplicate, refused by the service (409)
    'authz.access.denied:step_up_required', 'authz.access.denied:deny',
    'authz.access.allowed:allow', 'authz.delegation.revoked',
  ]);
});
