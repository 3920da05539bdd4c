/**
 * Invitations through a real SMTP relay: an `smtp-server` receiver on loopback that offers
 * STARTTLS with its own certificate (trusted through PARAPET_SMTP_CA_FILE) and requires
 * AUTH. The invitee's mail carries the working one-time link, the API answer does not; the
 * attempt is audited. A relay that does not offer STARTTLS gets nothing (no clear-text
 * fallback) and the admin gets the link instead, with the relay's refusal. Bad settings
 * stop the server with one sentence.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { createTenant, loginAs, startTestServer, type TestServer } from '@parapet/server/testing';
import { createSelfSigned } from '../src/tls/certificate.js';
import { loadConfig, ConfigError } from '../src/config.js';
import { Inbox, RELAY_PASSWORD, RELAY_USER, startRelay, stopRelay } from './fixtures/smtp-relay.js';

let s: TestServer;
let relay: SMTPServer;
let port = 0;
let dir: string;
let cert: { cert: string; key: string };
const inbox = new Inbox();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-smtp-'));
  cert = await createSelfSigned(['mail.parapet.test']);
  await writeFile(join(dir, 'relay-ca.pem'), cert.cert);
  relay = await startRelay(cert, inbox);
  port = (relay.server.address() as { port: number }).port;
  s = await startTestServer({
    // The password has characters that must be percent-encoded in a URL.
    PARAPET_SMTP_URL: `smtp://${RELAY_USER}:${encodeURIComponent(RELAY_PASSWORD)}@127.0.0.1:${port}`,
    PARAPET_SMTP_FROM: 'Parapet <parapet@example.test>',
    PARAPET_SMTP_CA_FILE: join(dir, 'relay-ca.pem'),
  });
});
after(async () => {
  await s?.close();
  await stopRelay(relay);
  await rm(dir, { recursive: true, force: true });
});

test('an invitation is mailed over STARTTLS with AUTH; the mail holds the working link, the API answer does not', async () => {
  const tenantId = await createTenant(s.db, 'mail-co');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'ada@mail-co.test', mfaFresh: true });
  const r = await admin.client.post('/api/v1/people/invitations', { email: 'Lea@Mail-Co.test', roles: ['security_lead'] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.emailed_to, 'lea@mail-co.test');
  assert.equal(r.json.link, undefined, 'the link goes only to the mailbox');
  assert.equal(r.json.token, undefined);
  assert.doesNotMatch(r.text, /pinv_/);

  assert.equal(inbox.messages.length, 1);
  const m = inbox.messages[0]!;
  assert.equal(m.secure, true, 'the session was upgraded with STARTTLS before MAIL FROM');
  assert.equal(m.user, 'parapet', 'the relay authenticated us');
  assert.equal(m.from, 'parapet@example.test');
  assert.deepEqual(m.to, ['lea@mail-co.test']);
  assert.equal(m.subject, 'You are invited to mail-co on Parapet');
  const body = m.body;
  assert.match(body, /ada@mail-co\.test invited you to mail-co on Parapet \(organisation "mail-co"\) as: Security lead\./);
  assert.match(body, /authenticator app/);
  const link = /(https:\/\/\S+\/invite#(pinv_\S+))/.exec(body);
  assert.ok(link, body);
  assert.ok(link[1]!.startsWith('https://127.0.0.1:'), link[1]);

  // The mailed token is the real one: the invitation page accepts it, once.
  const anon = s.client();
  const look = await anon.post('/api/v1/invitations/lookup', { token: link[2] });
  assert.equal(look.status, 200, look.text);
  assert.equal(look.json.email, 'lea@mail-co.test');

  const audit = await s.asAdmin((a) => a.query<{ action: string; outcome: string; details: Record<string, unknown> }>(`SELECT action, outcome, details FROM audit_log WHERE tenant_id = $1 AND action LIKE 'people.invitation%' ORDER BY seq`, [tenantId]));
  assert.deepEqual(audit.rows.map((x) => [x.action, x.outcome]), [['people.invitation.created', 'success'], ['people.invitation.emailed', 'success']]);
  assert.doesNotMatch(JSON.stringify(audit.rows), /pinv_/, 'the token is in no audit entry');
});

test('a relay without STARTTLS gets nothing: the admin gets the link and the refusal, audited as a failure', async () => {
  const before = inbox.messages.length;
  await stopRelay(relay);
  relay = await startRelay(cert, inbox, { disabledCommands: ['STARTTLS'] }, port);
  const tenantId = await createTenant(s.db, 'clear-co');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'ada@clear-co.test', mfaFresh: true });
  const r = await admin.client.post('/api/v1/people/invitations', { email: 'pat@clear-co.test', roles: ['employee'] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.emailed_to, undefined);
  assert.match(r.json.link, /\/invite#pinv_/);
  assert.match(r.json.email_error, /mail relay did not take the message.*STARTTLS/i);
  assert.equal(inbox.messages.length, before, 'no message reached the relay in clear text');
  const audit = await s.asAdmin((a) => a.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE tenant_id = $1 AND action = 'people.invitation.emailed'`, [tenantId]));
  assert.deepEqual(audit.rows.map((x) => x.outcome), ['failure']);
});

test('bad mail settings stop the server with one sentence', () => {
  assert.throws(() => loadConfig({ PARAPET_SMTP_URL: 'http://mail.example.com', PARAPET_SMTP_FROM: 'a@b.c' }), (e: unknown) => e instanceof ConfigError && /must start with smtp:\/\/ \(STARTTLS\) or smtps:\/\//.test((e as Error).message));
  assert.throws(() => loadConfig({ PARAPET_SMTP_URL: 'smtp://mail.example.com' }), (e: unknown) => e instanceof ConfigError && /PARAPET_SMTP_FROM is not/.test((e as Error).message));
  assert.equal(loadConfig({}).smtp, undefined);
  assert.equal(loadConfig({ PARAPET_SMTP_URL: 'smtps://mail.example.com', PARAPET_SMTP_FROM: 'a@b.c' }).smtp?.from, 'a@b.c');
});
