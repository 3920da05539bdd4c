/**
 * `parapet reviews …` against a real server over pinned TLS: open, show, decide, sign off with
 * the signed evidence file, and refusals as one plain sentence with a non-zero exit.
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
import { assertOneSentence, sessionEnv, runCli as run } from './run-cli.js';

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


test('reviews: open, show, decide (a revocation takes effect), sign off with evidence that verifies; refusals are one sentence', async () => {
  const a = await loginAs(s, { roles: ['admin'], email: `ada-${Date.now()}@cli.test`, mfaFresh: true });
  const aud = await loginAs(s, { roles: ['auditor'], tenantId: a.tenantId, mfaFresh: true });
  const env = sessionEnv(s, a.client);
  const audEnv = { ...env, PARAPET_SESSION: aud.client.cookies.get('__Host-parapet_session')! };

  // An auditor may read but not open.
  const refused = await run(['reviews', 'open'], audEnv);
  assert.equal(refused.code, 1);
  assertOneSentence(refused.err);

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
  assertOneSentence(early.err);
  // Not a reviewer: refused.
  const notReviewer = await run(['reviews', 'decide', review.id, num(adminLine), 'confirm'], audEnv);
  assert.equal(notReviewer.code, 1);
  assertOneSentence(notReviewer.err);

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
