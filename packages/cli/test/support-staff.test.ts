/**
 * The operator's `parapet support staff add | list | disable` on an embedded database (no
 * server): the one-time enrolment code, the listing, disabling, and refusals as one plain
 * sentence with a non-zero exit. Also the governance commands' argument checks, which refuse
 * before any server is asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneSentence, runCli as run } from './run-cli.js';


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
    const again = await run(['support', 'staff', 'disable', 'sam@vendor.test'], env);
    assert.equal(again.code, 1);
    assertOneSentence(again.err);
    assert.match(again.err, /no active support member/);
    const badEmail = await run(['support', 'staff', 'add', 'not-an-address'], env);
    assert.equal(badEmail.code, 1);
    assertOneSentence(badEmail.err);
    assert.match((await run(['support', '--help'], env)).out, /support staff add/);
  } finally {
    await rm(data, { recursive: true, force: true });
  }
});

test('reviews and erasure refuse malformed arguments before asking any server', async () => {
  const env = { PARAPET_SESSION: 'x', PARAPET_SERVER_URL: 'https://127.0.0.1:9' };
  const id = '00000000-0000-4000-8000-000000000000';
  const bad = await run(['reviews', 'decide', id, '3', 'maybe'], env);
  assert.equal(bad.code, 1);
  assertOneSentence(bad.err);
  assert.match(bad.err, /"confirm" or "revoke", not "maybe"/);
  assert.match((await run(['reviews', 'show', 'not-an-id'], env)).err, /not a review id/);
  const noReason = await run(['erasure', 'request', 'someone@example.test'], env);
  assert.equal(noReason.code, 1);
  assertOneSentence(noReason.err);
  assert.match(noReason.err, /--reason/);
});
