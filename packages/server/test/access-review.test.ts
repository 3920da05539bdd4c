/**
 * Access reviews (CORE-REVIEW): every standing access listed, named reviewers only, a revoked
 * line loses its access on the next request, the last admin stays, the signed-off review is
 * frozen and verifiable evidence, and the schedule opens reviews and raises overdue alerts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { dsse } from '@parapet/core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceClient, openKeyStore } from '@parapet/device-client';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { reviewTick, REVIEW_PAYLOAD_TYPE } from '../src/governance/reviews.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

async function auditRows(tenantId: string, action: string) {
  return s.asAdmin(async (q) => (await q.query<{ outcome: string; details: Record<string, unknown> }>(`SELECT outcome, details FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY seq`, [tenantId, action])).rows);
}

test('a review lists every standing access; reviewers revoke with immediate effect; sign-off is frozen, signed evidence', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const t = a.tenantId;
  const b = await loginAs(s, { roles: ['admin'], mfaFresh: true, tenantId: t });
  const lead = await loginAs(s, { roles: ['security_lead'], mfaFresh: true, tenantId: t });
  await loginAs(s, { roles: ['employee'], tenantId: t });

  // Standing access of each kind: a SCIM token, a signing key, an enrolled device.
  const scim = await a.client.post('/api/v1/scim/tokens', { name: 'Entra ID' });
  assert.equal(scim.status, 201, scim.text);
  const key = dsse.generateEd25519();
  assert.equal((await lead.client.post('/api/v1/probe/keys', { name: 'lead key', public_key_pem: key.publicKeyPem })).status, 201);
  const tok = await a.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' });
  const dir = await mkdtemp(join(tmpdir(), 'parapet-review-'));
  const store = await openKeyStore({ service: 'parapet-review', account: t, filePath: join(dir, 'device.key'), prefer: 'file' });
  const device = await DeviceClient.enroll({ server: s.url, token: tok.json.token, kind: 'agent', name: 'review-laptop', store, statePath: join(dir, 'state.json'), ca: s.ca });

  // Only admins open reviews, with step-up; reviewers must be privileged people.
  assert.equal((await lead.client.post('/api/v1/governance/reviews', { title: 'Q4' })).status, 403);
  const badReviewer = await a.client.post('/api/v1/governance/reviews', { title: 'Q4', reviewers: [(await loginAs(s, { roles: ['employee'], tenantId: t })).userId] });
  assert.equal(badReviewer.json.code, 'review_reviewer_invalid');
  const opened = await a.client.post('/api/v1/governance/reviews', { title: 'Q4 2026', reviewers: [a.userId] });
  assert.equal(opened.status, 201, opened.text);
  assert.equal((await a.client.post('/api/v1/governance/reviews', { title: 'again' })).json.code, 'review_open');
  const id = opened.json.id as string;
  const full = await a.client.get(`/api/v1/governance/reviews/${id}`);
  const items = full.json.items as Array<{ id: number; kind: string; subject_id: string; detail: Record<string, unknown> }>;
  const kinds = new Set(items.map((i) => i.kind));
  for (const k of ['role', 'scim_token', 'signing_key', 'device']) assert.ok(kinds.has(k), `lists ${k}`);
  assert.equal(items.filter((i) => i.kind === 'role').length, 5, 'one line per role held by each active person');
  const line = (kind: string, pred: (i: (typeof items)[number]) => boolean = () => true) => items.find((i) => i.kind === kind && pred(i))!;

  // A privileged person who is not a named reviewer cannot decide.
  const notReviewer = await lead.client.post(`/api/v1/governance/reviews/${id}/items/1/decision`, { decision: 'confirmed' });
  assert.equal(notReviewer.status, 403);
  assert.equal(notReviewer.json.code, 'review_not_reviewer');
  assert.equal((await auditRows(t, 'governance.review.refused')).at(-1)?.details.code, 'review_not_reviewer');

  // Revocations take effect on the next request.
  const decide = (item: number, decision: 'confirmed' | 'revoked') => a.client.post(`/api/v1/governance/reviews/${id}/items/${item}/decision`, { decision });
  assert.equal((await lead.client.get('/api/v1/probe/keys')).status, 200);
  const leadRole = line('role', (i) => i.subject_id === lead.userId);
  assert.equal((await decide(leadRole.id, 'revoked')).status, 200);
  assert.ok([401, 403].includes((await lead.client.get('/api/v1/probe/keys')).status), 'the revoked role is gone at once');
  assert.equal((await decide(leadRole.id, 'confirmed')).json.code, 'review_item_decided');

  const idp = s.client();
  idp.headers.authorization = `Bearer ${scim.json.token}`;
  assert.equal((await idp.get('/scim/v2/Users')).status, 200);
  assert.equal((await decide(line('scim_token').id, 'revoked')).status, 200);
  assert.equal((await idp.get('/scim/v2/Users')).status, 401, 'revoked SCIM token refused');

  await device.heartbeat();
  assert.equal((await decide(line('device').id, 'revoked')).status, 200);
  await assert.rejects(device.heartbeat(), (e: Error & { status?: number }) => e.status === 401);

  // The last admin stays: b's admin role may go, then a's may not.
  assert.equal((await decide(line('role', (i) => i.subject_id === b.userId).id, 'revoked')).status, 200);
  const last = await decide(line('role', (i) => i.subject_id === a.userId).id, 'revoked');
  assert.equal(last.status, 409);
  assert.equal(last.json.code, 'last_admin');

  // Sign-off needs every line decided.
  const early = await a.client.post(`/api/v1/governance/reviews/${id}/sign-off`, {});
  assert.equal(early.json.code, 'review_incomplete');
  const now = (await a.client.get(`/api/v1/governance/reviews/${id}`)).json.items as Array<{ id: number; decision: string }>;
  for (const i of now.filter((x) => x.decision === 'pending')) assert.equal((await decide(i.id, 'confirmed')).status, 200);
  const signed = await a.client.post(`/api/v1/governance/reviews/${id}/sign-off`, {});
  assert.equal(signed.status, 200, signed.text);

  // The evidence verifies with our DSSE code and with a plain PAE check (a stock verifier).
  const env = signed.json.envelope;
  const { payload } = dsse.verifyEnvelope(env, REVIEW_PAYLOAD_TYPE, signed.json.public_key_pem);
  const statement = JSON.parse(payload.toString('utf8'));
  assert.equal(statement.review.status, 'signed_off');
  assert.equal(statement.items.filter((i: { decision: string }) => i.decision === 'revoked').length, 4);
  const body = Buffer.from(env.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${body.length} `), body]);
  assert.ok(verify(null, pae, createPublicKey(signed.json.public_key_pem), Buffer.from(env.signatures[0].sig, 'base64')));
  const evidence = await a.client.get(`/api/v1/governance/reviews/${id}/evidence`);
  assert.deepEqual(evidence.json, env);
  const tampered = { ...env, payload: Buffer.from(payload.toString('utf8').replace('"revoked"', '"confirmed"')).toString('base64') };
  assert.throws(() => dsse.verifyEnvelope(tampered, REVIEW_PAYLOAD_TYPE, signed.json.public_key_pem));

  // Frozen: no decision through the API, no UPDATE even as the app role.
  assert.equal((await decide(1, 'confirmed')).json.code, 'review_signed_off');
  await assert.rejects(s.db.tx({ tenantId: t }, (q) => q.query(`UPDATE access_review_items SET decision = 'confirmed' WHERE review_id = $1`, [id])), /signed off/);
  const entries = await auditRows(t, 'governance.review_item.revoked');
  assert.equal(entries.length, 4);
  assert.equal((await auditRows(t, 'governance.review.signed_off')).length, 1);
});

test('the schedule opens a review each quarter and alerts once when one is overdue', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const t0 = new Date('2027-01-05T09:00:00Z');
  const first = await reviewTick(s.db, a.tenantId, t0);
  assert.ok(first.opened, 'opens the first review');
  assert.deepEqual(await reviewTick(s.db, a.tenantId, new Date(t0.getTime() + 86_400_000)), {}, 'nothing while one is open and not due');
  const late = new Date(t0.getTime() + 15 * 86_400_000);
  assert.equal((await reviewTick(s.db, a.tenantId, late)).overdue, first.opened);
  assert.deepEqual(await reviewTick(s.db, a.tenantId, new Date(late.getTime() + 60_000)), {}, 'the overdue alert is raised once');
  const rows = await auditRows(a.tenantId, 'governance.review.lapsed');
  assert.equal(rows.length, 1);
  const list = await a.client.get('/api/v1/governance/reviews');
  assert.equal(list.json.reviews[0].title, 'Access review Q1 2027');
});
