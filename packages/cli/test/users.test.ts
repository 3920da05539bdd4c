/**
 * `parapet login | logout | users …` against a real server over pinned TLS, and the CLI's help
 * for command groups. The admin has TOTP; recovery codes stand in for authenticator codes so
 * the test does not wait for a fresh 30-second TOTP step.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { hashPassword } from '@parapet/server/auth/password';
import { totpCode } from '@parapet/server/auth/totp';
import { runCli as run } from './run-cli.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-cli-users-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const PASSWORD = 'a long admin passphrase';

test('help: every group lists its commands; API commands document --server, PARAPET_SESSION, PARAPET_CA_FILE', async () => {
  const scan = await run(['scan', '--help']);
  assert.equal(scan.code, 0, scan.err);
  for (const w of ['scan request', 'scan approve', 'scan reject', 'scan list']) assert.match(scan.out, new RegExp(w));
  const devices = await run(['devices']);
  assert.equal(devices.code, 2);
  assert.match(devices.out, /devices token create/);
  assert.match(devices.out, /devices list/);
  assert.match((await run(['devices', 'token', '--help'])).out, /devices token create/);
});

test('help: users group and API command details', async () => {
  const users = await run(['users', '--help']);
  for (const w of ['users list', 'users invite', 'users roles', 'users invitations', 'users unlock']) assert.match(users.out, new RegExp(w));
  const req = await run(['scan', 'request', '--help']);
  assert.equal(req.code, 0);
  for (const w of ['--server', 'PARAPET_SESSION', 'PARAPET_CA_FILE', 'parapet login', '--mfa-code']) assert.ok(req.out.includes(w), `scan request --help mentions ${w}`);
  assert.match((await run(['--help'])).out, /parapet login/);
  assert.equal((await run(['nonsense'])).code, 2);
});

test('scope sign with a public key says so', async () => {
  const key = join(dir, 'k');
  assert.equal((await run(['keygen', '--out', key])).code, 0);
  const scope = join(dir, 'scope.json');
  await writeFile(scope, '{}');
  const r = await run(['scope', 'sign', scope, '--key', `${key}.pub`, '--out', join(dir, 'x.dsse.json')]);
  // An empty scope is refused first; use a valid one.
  if (/public key/.test(r.err)) assert.equal(r.code, 1);
  const { exampleScope } = await import('@parapet/core');
  await writeFile(scope, JSON.stringify(exampleScope({ tenant: '00000000-0000-4000-8000-000000000000', id: 'web' })));
  const pub = await run(['scope', 'sign', scope, '--key', `${key}.pub`, '--out', join(dir, 'y.dsse.json')]);
  assert.equal(pub.code, 1);
  assert.match(pub.err, /is a public key; sign with the private key/);
  assert.doesNotMatch(pub.err, /DECODER|error:/);
});

const ctx: { env: Record<string, string>; sessionFile: string; codes: string[]; t: string; admin: { userId: string; email: string } } = {} as never;

test('login with password and MFA stores a 0600 session; a wrong code stores nothing', async () => {
  const lead0 = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const t = lead0.tenantId;
  const slug = (await s.db.tx({ tenantId: t }, (q) => q.query<{ slug: string }>(`SELECT slug FROM tenants`))).rows[0]!.slug;
  const admin = await createUser(s.db, t, { roles: ['admin'], email: 'ada@example.test', passwordHash: await hashPassword(PASSWORD) });
  // Enrol TOTP for ada through the API (a session of hers), keep her recovery codes.
  const c = s.client();
  const l = await c.post('/api/v1/auth/login', { org: slug, email: admin.email, password: PASSWORD });
  c.headers['x-csrf-token'] = l.json.csrf_token;
  const e = await c.post('/api/v1/auth/mfa/totp/enroll');
  const conf = await c.post('/api/v1/auth/mfa/totp/confirm', { code: await totpCode(e.json.secret, Math.floor(Date.now() / 1000)) });
  assert.equal(conf.status, 200, conf.text);
  const codes: string[] = conf.json.recovery_codes;

  const sessionFile = join(dir, 'session.json');
  const pw = join(dir, 'pw.txt');
  await writeFile(pw, PASSWORD + '\n');
  const env = { PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION_FILE: sessionFile, PARAPET_SESSION: '', PARAPET_SERVER_URL: '' };

  const wrong = await run(['login', '--org', slug, '--email', admin.email, '--password-file', pw, '--mfa-code', '000000'], env);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /mfa_code_invalid/);
  await assert.rejects(stat(sessionFile));
  const ok = await run(['login', '--org', slug, '--email', admin.email, '--password-file', pw, '--mfa-code', codes[0]!], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Signed in to https:\/\/localhost:\d+ as ada@example\.test/);
  assert.equal((await stat(sessionFile)).mode & 0o777, 0o600);
  Object.assign(ctx, { env, sessionFile, codes, t, admin });
});

test('users invite prints a one-time link; roles asks for a step-up and follows the rotated session', async () => {
  const { env, sessionFile, codes, t, admin } = ctx;
  const inv = await run(['users', 'invite', 'lea@example.test', '--role', 'security_lead', '--expires', '24h'], env);
  assert.equal(inv.code, 0, inv.err);
  const link = inv.out.split('\n')[0]!;
  assert.match(link, /^https:\/\/localhost:\d+\/invite#pinv_/);
  assert.match(inv.out, /shown only now/);
  const token = link.split('#')[1]!;
  assert.equal((await s.client().post('/api/v1/invitations/accept', { token, password: 'lea has a long password' })).json.state, 'mfa_enrollment_required');

  const emp = await createUser(s.db, t, { roles: ['employee'], email: 'eve@example.test' });
  // Make the CLI session's MFA stale: the role change must ask for a step-up.
  const before = JSON.parse(await readFile(sessionFile, 'utf8')).cookie;
  await s.asAdmin((x) => x.query(`UPDATE sessions SET mfa_verified_at = now() - interval '1 hour' WHERE tenant_id = $1 AND user_id = $2`, [t, admin.userId]));
  const stale = await run(['users', 'roles', 'eve@example.test', '--add', 'operator'], env);
  assert.equal(stale.code, 1);
  assert.match(stale.err, /step_up_required.*--mfa-code/);
  const stepped = await run(['users', 'roles', 'eve@example.test', '--add', 'operator', '--mfa-code', codes[1]!], env);
  assert.equal(stepped.code, 0, stepped.err);
  assert.match(stepped.out, /eve@example\.test: operator, employee \(was employee\)/);
  // The step-up rotated the session; the stored copy follows, and still works.
  assert.notEqual(JSON.parse(await readFile(sessionFile, 'utf8')).cookie, before);
  const show = await run(['users', 'roles', 'eve@example.test', '--json'], env);
  assert.deepEqual(JSON.parse(show.out).roles, ['operator', 'employee']);
  assert.equal(emp.email, 'eve@example.test');
});

test('own roles refused, unlock names unknown people, list, invitations, logout', async () => {
  const { env, sessionFile } = ctx;
  const own = await run(['users', 'roles', 'ada@example.test', '--remove', 'admin'], env);
  assert.equal(own.code, 1);
  assert.match(own.err, /own roles.*\(own_roles\)/);
  assert.equal((await run(['users', 'roles', 'eve@example.test', '--add', 'wizard'], env)).code, 1);

  assert.match((await run(['users', 'unlock', 'nobody@example.test'], env)).err, /Nobody with the email nobody@example\.test/);

  const list = await run(['users', 'list'], env);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /lea@example\.test\s+security_lead/);
  const invs = await run(['users', 'invitations', '--json'], env);
  assert.equal(JSON.parse(invs.out)[0].status, 'accepted');
  // Revoking: an open invitation goes, a second revoke is one sentence with the server's code.
  assert.equal((await run(['users', 'invite', 'tom@example.test'], env)).code, 0);
  const tom = (JSON.parse((await run(['users', 'invitations', '--json'], env)).out) as Array<{ id: string; email: string; status: string }>).find((i) => i.email === 'tom@example.test')!;
  assert.equal(tom.status, 'open');
  const rv = await run(['users', 'invitations', '--revoke', tom.id], env);
  assert.equal(rv.code, 0, rv.err);
  assert.equal(rv.out.trim(), `Revoked invitation ${tom.id}.`);
  assert.match((await run(['users', 'invitations'], env)).out, new RegExp(`${tom.id}  revoked\\s+tom@example\\.test`));
  const again = await run(['users', 'invitations', '--revoke', tom.id], env);
  assert.equal(again.code, 1);
  assert.match(again.err, /\((invitation_closed|invitation_not_found)\)\.$/m);

  const out = await run(['logout'], env);
  assert.equal(out.code, 0, out.err);
  await assert.rejects(stat(sessionFile));
  const after = await run(['users', 'list'], env);
  assert.equal(after.code, 1);
  assert.match(after.err, /No session: run "parapet login"/);
});
