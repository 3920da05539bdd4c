/**
 * `parapet reviews …`, `parapet erasure …` against a real server over pinned TLS, and the
 * operator's `parapet support staff …` on an embedded database: success paths, the signed
 * evidence file, and refusals as one plain sentence with a non-zero exit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { dsse } from '@parapet/core';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { REVIEW_PAYLOAD_TYPE } from '@parapet/server/governance/reviews';
import { runCli as run } from './run-cli.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-cli-gov-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const oneSentence = (err: string) => assert.equal(err.trim().split('\n').length, 1, err);

test('reviews: open, show, decide (a revocation takes effect), sign off with evidence that verifies; refusals are one sentence', async () => {
  const a = await loginAs(s, { roles: ['admin'], email: `ada-${Date.now()}@cli.test`, mfaFresh: true });
  const aud = await loginAs(s, { roles: ['auditor'], tenantId: a.tenantId, mfaFresh: true });
  const env = { PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION: a.client.cookies.get('__Host-parapet_session')!, PARAPET_SERVER_URL: '' };
  const audEnv = { ...env, PARAPET_SESSION: aud.client.cookies.get('__Host-parapet_session')! };

  assert.match((await run(['reviews', 'list'], env)).out, /No access reviews\./);
  // An auditor may read but not open.
  const refused = await run(['reviews', 'open'], audEnv);
  assert.equal(refused.code, 1);
  oneSentence(refused.err);

  const opened = await run(['reviews', 'open', '--title', 'CLI review', '--reviewer', a.userId, '--json'], env);
  assert.equal(opened.code, 0, opened.err);
  const review = JSON.parse(opened.out);
  assert.equal(review.counts.total, 2, 'two role lines: the admin and the auditor');
  const shown = await run(['reviews', 'show', review.id], env);
  assert.equal(shown.code, 0, shown.err);
  const lines = shown.out.trim().split('\n').slice(1);
  const auditorLine = lines.find((l) => l.includes(aud.email))!;
  const adminLine = lines.find((l) => l.includes(a.email))!;
  const num = (l: string) => l.trim().split(/\s+/)[0]!;

  // Sign-off before every line is decided is refused, in one sentence.
  const early = await run(['reviews', 'sign-off', review.id, '--out', join(dir, 'early.json')], env);
  assert.equal(early.code, 1);
  oneSentence(early.err);
  // Not a reviewer: refused.
  const notReviewer = await run(['reviews', 'decide', review.id, num(adminLine), 'confirm'], audEnv);
  assert.equal(notReviewer.code, 1);
  oneSentence(notReviewer.err);
  // Bad words are caught before any request.
  const bad = await run(['reviews', 'decide', review.id, num(adminLine), 'maybe'], env);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /"confirm" or "revoke", not "maybe"/);
  assert.match((await run(['reviews', 'show', 'not-an-id'], env)).err, /not a review id/);

  assert.equal((await run(['reviews', 'decide', review.id, num(adminLine), 'confirm'], env)).code, 0);
  const rv = await run(['reviews', 'decide', review.id, num(auditorLine), 'revoke', '--note', 'left the team'], env);
  assert.equal(rv.code, 0, rv.err);
  assert.match(rv.out, /revoked/);
  assert.ok([401, 403].includes((await aud.client.get('/api/v1/governance/reviews')).status), 'the auditor role is gone at once');

  const out = join(dir, 'review.dsse.json');
  const so = await run(['reviews', 'sign-off', review.id, '--out', out], env);
  assert.equal(so.code, 0, so.err);
  const env2 = JSON.parse(await readFile(out, 'utf8'));
  const pub = await s.db.tx({ tenantId: a.tenantId }, (q) => q.query<{ public_key: Buffer }>(`SELECT public_key FROM audit_log_keys ORDER BY created_at LIMIT 1`));
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub.rows[0]!.public_key]), format: 'der', type: 'spki' });
  const { payload } = dsse.verifyEnvelope(env2, REVIEW_PAYLOAD_TYPE, key);
  assert.equal(JSON.parse(payload.toString('utf8')).items.length, 2);
  assert.match((await run(['reviews', 'list'], env)).out, /signed off/);
});

test('erasure: request needs a reason and a matching confirmation; erasing oneself is refused; the list shows what was done', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const victim = await loginAs(s, { roles: ['employee'], tenantId: a.tenantId });
  const env = { PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION: a.client.cookies.get('__Host-parapet_session')!, PARAPET_SERVER_URL: '' };
  const noReason = await run(['erasure', 'request', victim.email], env);
  assert.equal(noReason.code, 1);
  assert.match(noReason.err, /--reason/);
  oneSentence(noReason.err);
  // No terminal to confirm on and no --yes: nothing is erased.
  const unconfirmed = await run(['erasure', 'request', victim.email, '--reason', 'left'], env);
  assert.equal(unconfirmed.code, 1);
  oneSentence(unconfirmed.err);
  assert.match((await run(['erasure', 'list'], env)).out, /No erasure requests\./);
  assert.match((await run(['erasure', 'request', 'nobody@example.test', '--reason', 'x', '--yes'], env)).err, /Nobody with the email nobody@example\.test/);

  const ok = await run(['erasure', 'request', victim.email, '--reason', 'Article 17 request #9', '--yes'], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^Erased .*identity removed; deleted .*sessions\.user_id 1/m);
  assert.equal((await victim.client.get('/api/v1/auth/session')).status, 401, 'their session is gone');
  const people = await a.client.get('/api/v1/people');
  assert.ok(!JSON.stringify(people.json).includes(victim.email), 'their address is gone');
  const list = await run(['erasure', 'list', '--json'], env);
  const rows = JSON.parse(list.out);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].subject_id, victim.userId);
  assert.equal(rows[0].reason, 'Article 17 request #9');

  // Erasing oneself is refused (another admin must do it).
  const self = await run(['erasure', 'request', a.email, '--reason', 'x', '--yes'], env);
  assert.equal(self.code, 1);
  oneSentence(self.err);
  assert.match(self.err, /\(erasure_self\)/);
});

test('support staff add | list | disable on the operator database; errors are one sentence', async () => {
  const data = await mkdtemp(join(tmpdir(), 'parapet-cli-support-'));
  const env = { PARAPET_DATA_DIR: data, DATABASE_URL: '', DATABASE_ADMIN_URL: '' };
  try {
    const add = await run(['support', 'staff', 'add', 'Sam@Vendor.test', '--name', 'Sam', '--json'], env);
    assert.equal(add.code, 0, add.err);
    const j = JSON.parse(add.out);
    assert.equal(j.email, 'sam@vendor.test');
    assert.ok(j.enrolment_code.length >= 20);
    const list = await run(['support', 'staff', 'list'], env);
    assert.match(list.out, /sam@vendor\.test\s+0 key\(s\)\s+active/);
    assert.equal((await run(['support', 'staff', 'disable', 'sam@vendor.test'], env)).code, 0);
    assert.match((await run(['support', 'staff', 'list'], env)).out, /disabled/);
    const again = await run(['support', 'staff', 'disable', 'sam@vendor.test'], env);
    assert.equal(again.code, 1);
    oneSentence(again.err);
    assert.match(again.err, /no active support member/);
    const badEmail = await run(['support', 'staff', 'add', 'not-an-address'], env);
    assert.equal(badEmail.code, 1);
    oneSentence(badEmail.err);
    assert.match((await run(['support', '--help'], env)).out, /support staff add/);
  } finally {
    await rm(data, { recursive: true, force: true });
  }
});
