/**
 * Security-alert mails (auth/security-alerts.ts) through a real SMTP relay: an `smtp-server`
 * receiver on loopback with STARTTLS and AUTH (fixtures/smtp-relay.ts). Each security event on
 * an account mails that account's owner, after the commit, through the platform outbox: a
 * second factor added or removed, recovery codes reissued, roles changed, failed sign-ins that
 * start delays (once), an admin's unlock, a sign-in from a new address. A relay that is down
 * neither fails nor holds up the request, and the alert arrives once it is back; a permanent
 * refusal ends the message; an erased person's pending alerts are deleted. The tests wait on
 * the receiver (or on the outbox row's state), never for a fixed time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { createTenant, createUser, loginAs, startTestServer, type TestServer } from '@parapet/server/testing';
import { createSelfSigned } from '../src/tls/certificate.js';
import { hashPassword } from '../src/auth/password.js';
import { totpCode } from '../src/auth/totp.js';
import { CSRF_HEADER } from '../src/auth/sessions.js';
import { enqueueSecurityAlert, SECURITY_ALERT_TOPIC } from '../src/auth/security-alerts.js';
import { erasePerson } from '../src/governance/erasure.js';
import { Inbox, RELAY_PASSWORD, RELAY_USER, startRelay, stopRelay, type Received } from './fixtures/smtp-relay.js';

let s: TestServer;
let relay: SMTPServer | undefined;
let port = 0;
let dir: string;
let cert: { cert: string; key: string };
let tenantId: string;
const inbox = new Inbox();
const PASSWORD = 'correct horse battery staple';

/** The relay refuses this mailbox for good (550, RFC 5321 §4.2.2). */
const GONE = 'gone@alert-co.test';
const relayOptions = {
  onRcptTo(address: { address: string }, _session: unknown, cb: (err?: Error | null) => void) {
    if (address.address === GONE) return cb(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
    cb();
  },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-alert-'));
  cert = await createSelfSigned(['mail.parapet.test']);
  await writeFile(join(dir, 'relay-ca.pem'), cert.cert);
  relay = await startRelay(cert, inbox, relayOptions);
  port = (relay.server.address() as { port: number }).port;
  s = await startTestServer({
    PARAPET_SMTP_URL: `smtp://${RELAY_USER}:${encodeURIComponent(RELAY_PASSWORD)}@127.0.0.1:${port}`,
    PARAPET_SMTP_FROM: 'Parapet <parapet@example.test>',
    PARAPET_SMTP_CA_FILE: join(dir, 'relay-ca.pem'),
  });
  tenantId = await createTenant(s.db, 'alert-co');
});
after(async () => {
  await s?.close();
  await stopRelay(relay);
  await rm(dir, { recursive: true, force: true });
});

type AlertRow = { kind: string; state: string; attempts: number; last_error: string | null; ip: string | null };
/** The outbox's security alerts about one person, oldest first. */
const alertsOf = (userId: string) =>
  s.asAdmin(async (a) => (await a.query<AlertRow>(`SELECT payload->>'kind' AS kind, state, attempts, last_error, payload->>'ip' AS ip FROM outbox WHERE topic = $1 AND payload->>'userId' = $2 ORDER BY id`, [SECURITY_ALERT_TOPIC, userId])).rows);

/** Polls the outbox until `ok` holds for a person's alerts (at most 60 s); returns them. */
async function untilAlerts(userId: string, ok: (rows: AlertRow[]) => boolean): Promise<AlertRow[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await alertsOf(userId);
    if (ok(rows)) return rows;
    if (Date.now() > deadline) assert.fail(`outbox never reached the expected state: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mailTo = (email: string, subject: RegExp) => (m: Received) => m.to.includes(email) && subject.test(m.subject);

/** What every alert must be: to the person only, over STARTTLS with AUTH, naming account and organisation, with no link. */
function assertAlert(m: Received, email: string): void {
  assert.deepEqual(m.to, [email]);
  assert.equal(m.from, 'parapet@example.test');
  assert.equal(m.secure, true, 'upgraded with STARTTLS before MAIL FROM');
  assert.equal(m.user, RELAY_USER);
  assert.match(m.body, new RegExp(`your account ${email.replace(/\./g, '\\.')} in alert-co on Parapet`));
  assert.match(m.body, /When: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  assert.doesNotMatch(m.body, /https?:\/\//, 'an alert holds no link to follow');
}

async function signIn(email: string, localAddress: string, password = PASSWORD) {
  return s.client(localAddress).post('/api/v1/auth/login', { org: 'alert-co', email, password });
}

test('a second factor added, recovery codes reissued and the factor removed each mail the person', async () => {
  const me = await loginAs(s, { roles: ['employee'], tenantId, email: 'tom@alert-co.test', mfaFresh: true });
  const enrol = await me.client.post('/api/v1/auth/mfa/totp/enroll');
  assert.equal(enrol.status, 200, enrol.text);
  const confirm = await me.client.post('/api/v1/auth/mfa/totp/confirm', { code: await totpCode(enrol.json.secret, Math.floor(Date.now() / 1000)) });
  assert.equal(confirm.status, 200, confirm.text);
  me.client.headers[CSRF_HEADER] = confirm.json.csrf_token;
  const added = await inbox.next(mailTo(me.email, /^A second factor was added to your account on Parapet \(alert-co\)$/));
  assertAlert(added, me.email);
  assert.match(added.body, /an authenticator app was added as a second factor/i);
  assert.match(added.body, /From address: 127\.0\.0\.1/);

  const codes = await me.client.post('/api/v1/auth/mfa/recovery-codes');
  assert.equal(codes.status, 200, codes.text);
  assertAlert(await inbox.next(mailTo(me.email, /^New recovery codes were issued/)), me.email);

  const removed = await me.client.request('DELETE', '/api/v1/auth/mfa/totp');
  assert.equal(removed.status, 204, removed.text);
  const m = await inbox.next(mailTo(me.email, /^A second factor was removed/));
  assertAlert(m, me.email);
  assert.deepEqual((await untilAlerts(me.userId, (r) => r.every((x) => x.state === 'delivered'))).map((r) => r.kind), ['mfa_added', 'recovery_codes_issued', 'mfa_removed']);
});

test('with the relay down a role change neither fails nor waits; the alert is retried and arrives when the relay is back', async () => {
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'ada@alert-co.test', mfaFresh: true });
  const pat = await createUser(s.db, tenantId, { roles: ['employee'], email: 'pat@alert-co.test' });
  await stopRelay(relay);
  relay = undefined;
  const r = await admin.client.request('PUT', `/api/v1/people/${pat.userId}/roles`, { json: { roles: ['security_lead'] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.roles, ['security_lead']);
  // The attempt after the commit failed against the closed port and is scheduled again.
  const failed = await untilAlerts(pat.userId, (rows) => rows.length === 1 && rows[0]!.attempts >= 1);
  assert.equal(failed[0]!.state, 'pending');
  assert.match(failed[0]!.last_error ?? '', /ECONNREFUSED|connect/i);
  const from = inbox.messages.length;
  relay = await startRelay(cert, inbox, relayOptions, port);
  const m = await inbox.next(mailTo(pat.email, /^Your roles changed on Parapet \(alert-co\)$/), { from });
  assertAlert(m, pat.email);
  assert.match(m.body, /Your roles changed from Employee to Security lead\./);
  assert.match(m.body, /By: ada@alert-co\.test/);
  await untilAlerts(pat.userId, (rows) => rows.length === 1 && rows[0]!.state === 'delivered');
});

test('failed passwords that start the delays are mailed once; the admin unlock is mailed', async () => {
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'root@alert-co.test', mfaFresh: true });
  const kim = await createUser(s.db, tenantId, { roles: ['employee'], email: 'kim@alert-co.test', passwordHash: await hashPassword(PASSWORD) });
  // Five free failures from one address, the sixth starts the delay, the seventh is refused.
  for (let i = 1; i <= 6; i++) assert.equal((await signIn(kim.email, '127.0.0.5', 'wrong password ' + i)).status, 401, `attempt ${i}`);
  assert.equal((await signIn(kim.email, '127.0.0.5', 'wrong password 7')).status, 429);
  assert.deepEqual((await alertsOf(kim.userId)).map((r) => r.kind), ['sign_in_delayed'], 'the first five failures mail nothing, the sixth once');
  const m = await inbox.next(mailTo(kim.email, /^Failed sign-ins on your account/));
  assertAlert(m, kim.email);
  assert.match(m.body, /failed with a wrong password/);
  assert.match(m.body, /From address: 127\.0\.0\.5/);

  const u = await admin.client.post(`/api/v1/auth/users/${kim.userId}/unlock`);
  assert.equal(u.status, 200, u.text);
  const unlocked = await inbox.next(mailTo(kim.email, /^Your account was unlocked/));
  assertAlert(unlocked, kim.email);
  assert.match(unlocked.body, /By: root@alert-co\.test/);
  assert.doesNotMatch(unlocked.body, /From address/, "the admin's address is not passed on");
  assert.equal((await signIn(kim.email, '127.0.0.5')).status, 200, 'the unlock cleared the delay');
});

test('a sign-in from an address new to the account is mailed; the first sign-in and known addresses are not', async () => {
  const lee = await createUser(s.db, tenantId, { roles: ['employee'], email: 'lee@alert-co.test', passwordHash: await hashPassword(PASSWORD) });
  assert.equal((await signIn(lee.email, '127.0.0.2')).status, 200);
  assert.equal((await signIn(lee.email, '127.0.0.2')).status, 200);
  assert.deepEqual(await alertsOf(lee.userId), [], 'neither the first sign-in nor a known address is news');
  assert.equal((await signIn(lee.email, '127.0.0.3')).status, 200);
  assert.equal((await signIn(lee.email, '127.0.0.3')).status, 200);
  assert.deepEqual((await alertsOf(lee.userId)).map((r) => [r.kind, r.ip]), [['new_sign_in_address', '127.0.0.3']]);
  const m = await inbox.next(mailTo(lee.email, /^New sign-in to your account/));
  assertAlert(m, lee.email);
  assert.match(m.body, /From address: 127\.0\.0\.3/);
});

test('a permanent refusal ends the message; an erased person has no pending alert; without a relay nothing is written', async () => {
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'eve@alert-co.test', mfaFresh: true });
  const gone = await createUser(s.db, tenantId, { roles: ['employee'], email: GONE });
  assert.equal((await admin.client.request('PUT', `/api/v1/people/${gone.userId}/roles`, { json: { roles: ['auditor'] } })).status, 200);
  const ended = await untilAlerts(gone.userId, (rows) => rows.length === 1 && rows[0]!.state !== 'pending');
  assert.equal(ended[0]!.state, 'cancelled');
  assert.match(ended[0]!.last_error ?? '', /refused the message for good.*550/);

  // An alert still waiting for the relay is deleted with the person it is about.
  const sam = await createUser(s.db, tenantId, { roles: ['employee'], email: 'sam@alert-co.test' });
  await stopRelay(relay);
  relay = undefined;
  assert.equal((await admin.client.request('PUT', `/api/v1/people/${sam.userId}/roles`, { json: { roles: ['manager'] } })).status, 200);
  assert.equal((await alertsOf(sam.userId)).length, 1);
  await s.db.tx({ tenantId }, (q) => erasePerson(q, tenantId, { type: 'user', id: admin.userId }, sam.userId, 'test', new Date()));
  assert.deepEqual(await alertsOf(sam.userId), []);
  relay = await startRelay(cert, inbox, relayOptions, port);

  // The gate: with no mail relay configured, no alert is written at all.
  await s.db.tx({ tenantId }, (q) => enqueueSecurityAlert(q, tenantId, undefined, { kind: 'mfa_added', userId: admin.userId, at: new Date().toISOString() }));
  assert.deepEqual(await alertsOf(admin.userId), []);
});
