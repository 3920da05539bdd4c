/**
 * `parapet erasure …` against a real server over pinned TLS: success path and refusals as one
 * plain sentence with a non-zero exit. (`parapet reviews …`: reviews.test.ts; `parapet support
 * staff …`: support-staff.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { assertOneSentence, sessionEnv, runCli as run } from './run-cli.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());


test('erasure: request needs a reason and a matching confirmation; erasing oneself is refused; the list shows what was done', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const victim = await loginAs(s, { roles: ['employee'], tenantId: a.tenantId });
  const env = sessionEnv(s, a.client);
  // No terminal to confirm on and no --yes: nothing is erased.
  const unconfirmed = await run(['erasure', 'request', victim.email, '--reason', 'left'], env);
  assert.equal(unconfirmed.code, 1);
  assertOneSentence(unconfirmed.err);
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
  assertOneSentence(self.err);
  assert.match(self.err, /\(erasure_self\)/);
});
