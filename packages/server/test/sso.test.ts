import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { rolesFromGroups } from '../src/sso/routes.js';

// The test IdP speaks plain http on 127.0.0.1; the server allows that only with this switch.
process.env.PARAPET_SSO_ALLOW_HTTP_LOOPBACK = '1';

let s: TestServer;
let idp: Worker;
let issuer: string;
let seq = 0;
const CLIENT_SECRET = 'parapet-test-client-secret-0123456789';
const ACCOUNTS = {
  alice: { groups: ['Parapet-Admins', 'Everyone'] },
  bob: { groups: ['Everyone'] },
  mallory: { email: 'mallory@evil.example' },
};

function tell(m: Record<string, unknown>): Promise<void> {
  const id = ++seq;
  return new Promise((resolve) => {
    const on = (r: { ack?: number }) => {
      if (r.ack === id) {
        idp.off('message', on);
        resolve();
      }
    };
    idp.on('message', on);
    idp.postMessage({ ...m, id });
  });
}

before(async () => {
  s = await startTestServer();
  idp = new Worker(new URL('./fixtures/oidc-idp.mjs', import.meta.url), {
    workerData: {
      clients: [
        { client_id: 'parapet', client_secret: CLIENT_SECRET, redirect_uris: [`${s.url}/api/v1/sso/callback`], grant_types: ['authorization_code'], response_types: ['code'] },
        { client_id: 'other-app', client_secret: 'other-secret-0123456789abcdef', redirect_uris: ['https://other.example/cb'] },
      ],
      accounts: ACCOUNTS,
    },
  });
  issuer = await new Promise((resolve, reject) => {
    idp.once('error', reject);
    idp.once('message', (m: { issuer: string }) => resolve(m.issuer));
  });
});
after(async () => {
  await idp.terminate();
  await s.close();
});

interface Res {
  status: number;
  location?: string;
  body: string;
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A browser: one cookie jar per origin, trusts the server's certificate, follows nothing by itself. */
class Browser {
  jars = new Map<string, Map<string, string>>();
  req(method: string, url: string, form?: Record<string, string>): Promise<Res> {
    const u = new URL(url);
    const jar = this.jars.get(u.origin) ?? new Map<string, string>();
    this.jars.set(u.origin, jar);
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers: Record<string, string | number> = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = fn(url, { method, headers, ...(u.protocol === 'https:' ? { ca: s.ca, servername: 'localhost' } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const sc of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [pair, ...attrs] = sc.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            // Expiry dates are ignored on purpose: the IdP's clock is moved in one test.
            if (value === '' || attrs.some((a) => /^\s*max-age=0$/i.test(a))) jar.delete(name);
            else jar.set(name, value);
          }
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, location: res.headers.location ? new URL(res.headers.location, url).href : undefined, body: text, json });
        });
      });
      r.on('error', reject);
      r.end(body);
    });
  }
  /** GETs and follows redirects while they stay at the IdP; returns the first response elsewhere. */
  async followAtIdp(url: string): Promise<Res> {
    let r = await this.req('GET', url);
    while (r.location && r.location.startsWith(issuer)) r = await this.req('GET', r.location);
    return r;
  }
}

/** Signs `login` in at the IdP and returns the callback URL the IdP sends the browser to. */
async function loginAtIdp(b: Browser, authUrl: string, login: string): Promise<string> {
  const form = await b.followAtIdp(authUrl);
  assert.equal(form.status, 200, form.body);
  const action = /action="([^"]+)"/.exec(form.body)![1]!;
  let r = await b.req('POST', new URL(action, issuer).href, { prompt: 'login', login, password: 'any' });
  while (r.location && r.location.startsWith(issuer)) r = await b.req('GET', r.location);
  assert.ok(r.location?.startsWith(`${s.url}/api/v1/sso/callback?`), `IdP ended at ${r.status} ${r.location} ${r.body.slice(0, 300)}`);
  return r.location!;
}

async function configuredTenant() {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const slug = (await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ slug: string }>(`SELECT slug FROM tenants`))).rows[0]!.slug;
  const put = await admin.client.request('PUT', '/api/v1/sso/config', {
    json: { preset: 'generic', issuer, client_id: 'parapet', client_secret: CLIENT_SECRET, scopes: 'openid email profile groups', group_roles: { 'Parapet-Admins': ['admin', 'security_lead'] }, default_roles: ['employee'] },
  });
  assert.equal(put.status, 200, put.text);
  return { admin, slug };
}

/** Starts a login for the tenant; returns the browser and the IdP authorization URL. */
async function start(slug: string) {
  const b = new Browser();
  const r = await b.req('GET', `${s.url}/api/v1/sso/login?tenant=${slug}`);
  assert.equal(r.status, 302, r.body);
  assert.ok(r.location!.startsWith(`${issuer}/auth?`), r.location);
  return { b, authUrl: r.location! };
}

const auditOf = (tenantId: string) =>
  s.db.tx({ tenantId }, (q) => q.query<{ action: string; outcome: string; details: Record<string, unknown> }>(`SELECT action, outcome, details FROM audit_log WHERE action LIKE 'sso.%' ORDER BY seq`)).then((r) => r.rows);

test('configuring SSO needs admin and step-up; the client secret is sealed and never returned', async () => {
  const stale = await loginAs(s, { roles: ['admin'] });
  const r = await stale.client.request('PUT', '/api/v1/sso/config', { json: { preset: 'generic', issuer, client_id: 'parapet', client_secret: 'x' } });
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'step_up_required');
  const emp = await loginAs(s, { roles: ['employee'], mfaFresh: true });
  assert.equal((await emp.client.request('PUT', '/api/v1/sso/config', { json: { preset: 'generic', issuer, client_id: 'parapet' } })).status, 403);
  const https = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const bad = await https.client.request('PUT', '/api/v1/sso/config', { json: { preset: 'generic', issuer: 'http://idp.example.com', client_id: 'parapet' } });
  assert.equal(bad.json.code, 'sso_issuer_invalid');
  const entra = await https.client.request('PUT', '/api/v1/sso/config', { json: { preset: 'entra', client_id: 'parapet' } });
  assert.equal(entra.json.code, 'sso_issuer_required');

  const { admin } = await configuredTenant();
  const got = await admin.client.get('/api/v1/sso/config');
  assert.equal(got.status, 200);
  assert.equal(got.json.has_client_secret, true);
  assert.ok(!got.text.includes(CLIENT_SECRET));
  const raw = JSON.stringify((await s.asAdmin((a) => a.query(`SELECT * FROM sso_configs WHERE tenant_id = $1`, [admin.tenantId]))).rows);
  assert.ok(!raw.includes(CLIENT_SECRET), 'the secret is stored sealed');
  const presets = await admin.client.get('/api/v1/sso/presets');
  assert.deepEqual(presets.json.presets.map((p: { id: string }) => p.id), ['entra', 'okta', 'google', 'jumpcloud', 'generic']);
});

test('the whole flow: PKCE + state + nonce, JIT provisioning, groups mapped to roles, session cookie, audit', async () => {
  const { admin, slug } = await configuredTenant();
  const { b, authUrl } = await start(slug);
  const p = new URL(authUrl).searchParams;
  assert.equal(p.get('code_challenge_method'), 'S256');
  assert.ok(p.get('nonce') && p.get('code_challenge'));
  assert.ok(p.get('state')!.startsWith(`${admin.tenantId}.`), 'the state names the tenant');
  const cb = await loginAtIdp(b, authUrl, 'alice');
  const done = await b.req('GET', cb);
  assert.equal(done.status, 200, done.body);
  const serverJar = b.jars.get(s.url)!;
  assert.ok(serverJar.get('__Host-parapet_session'));
  const me = await b.req('GET', `${s.url}/api/v1/auth/session`);
  assert.equal(me.status, 200, me.body);
  assert.equal(me.json.email, 'alice@example.com');
  assert.deepEqual(me.json.roles, ['admin', 'security_lead']);
  assert.equal(me.json.tenant_id, admin.tenantId);

  // The callback URL is single use.
  const replay = await b.req('GET', cb);
  assert.equal(replay.status, 400);
  assert.equal(replay.json.code, 'sso_state_invalid');

  // A callback arriving in another browser (no state cookie) is refused: login CSRF.
  const { authUrl: u2 } = await start(slug);
  const other = new Browser();
  const cb2 = await loginAtIdp(other, u2, 'bob');
  const csrf = await other.req('GET', cb2);
  assert.equal(csrf.status, 400);
  assert.equal(csrf.json.code, 'sso_state_invalid');

  // Group changes at the IdP change roles at the next login.
  await tell({ accounts: { ...ACCOUNTS, alice: { groups: ['Everyone'] } } });
  const again = await start(slug);
  const done2 = await again.b.req('GET', await loginAtIdp(again.b, again.authUrl, 'alice'));
  assert.equal(done2.status, 200);
  assert.deepEqual((await again.b.req('GET', `${s.url}/api/v1/auth/session`)).json.roles, ['employee']);
  await tell({ accounts: ACCOUNTS });

  const audit = await auditOf(admin.tenantId);
  const actions = audit.map((a) => `${a.action}:${a.outcome}`);
  assert.deepEqual(actions.filter((a) => a !== 'sso.config.updated:success'), [
    'sso.user.provisioned:success',
    'sso.login.completed:success',
    'sso.login.completed:failure',
    'sso.login.completed:failure',
    'sso.roles.changed:success',
    'sso.login.completed:success',
  ]);
  const users = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ n: number }>(`SELECT count(*)::int AS n FROM sso_identities`));
  assert.equal(users.rows[0]!.n, 1);
});

test('a wrong nonce is refused with sso_nonce_mismatch', async () => {
  const { admin, slug } = await configuredTenant();
  const { b, authUrl } = await start(slug);
  const tampered = new URL(authUrl);
  tampered.searchParams.set('nonce', 'attacker-chosen-nonce');
  const r = await b.req('GET', await loginAtIdp(b, tampered.href, 'alice'));
  assert.equal(r.status, 401, r.body);
  assert.equal(r.json.code, 'sso_nonce_mismatch');
  assert.equal(b.jars.get(s.url)!.get('__Host-parapet_session'), undefined);
  const audit = await auditOf(admin.tenantId);
  assert.deepEqual(audit.at(-1)!.details.code, 'sso_nonce_mismatch');
});

test('an expired ID token is refused with sso_id_token_expired', async () => {
  const { slug } = await configuredTenant();
  // The IdP's clock runs two hours behind: its one-hour ID tokens are already expired.
  await tell({ skewMs: -2 * 3600_000 });
  try {
    const { b, authUrl } = await start(slug);
    const r = await b.req('GET', await loginAtIdp(b, authUrl, 'alice'));
    assert.equal(r.status, 401, r.body);
    assert.equal(r.json.code, 'sso_id_token_expired');
  } finally {
    await tell({ skewMs: 0 });
  }
});

test('an ID token for another client is refused with sso_audience_mismatch', async () => {
  const { slug } = await configuredTenant();
  await tell({ audOverride: 'other-app' });
  try {
    const { b, authUrl } = await start(slug);
    const r = await b.req('GET', await loginAtIdp(b, authUrl, 'alice'));
    assert.equal(r.status, 401, r.body);
    assert.equal(r.json.code, 'sso_audience_mismatch');
  } finally {
    await tell({ audOverride: null });
  }
});

test('an error answer from the IdP is refused with sso_idp_error', async () => {
  const { slug } = await configuredTenant();
  const { b, authUrl } = await start(slug);
  const state = new URL(authUrl).searchParams.get('state')!;
  const r = await b.req('GET', `${s.url}/api/v1/sso/callback?error=access_denied&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(issuer)}`);
  assert.equal(r.status, 401, r.body);
  assert.equal(r.json.code, 'sso_idp_error');
});

test('allowed domains and deactivated users are enforced', async () => {
  const { admin, slug } = await configuredTenant();
  const put = await admin.client.request('PUT', '/api/v1/sso/config', { json: { preset: 'generic', issuer, client_id: 'parapet', allowed_domains: ['example.com'] } });
  assert.equal(put.status, 200, put.text);
  const m = await start(slug);
  const r = await m.b.req('GET', await loginAtIdp(m.b, m.authUrl, 'mallory'));
  assert.equal(r.json?.code, 'sso_domain_not_allowed', r.body);
  const a = await start(slug);
  assert.equal((await a.b.req('GET', await loginAtIdp(a.b, a.authUrl, 'bob'))).status, 200, 'the stored secret was kept');
  await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query(`UPDATE users SET status = 'deactivated' WHERE email = 'bob@example.com'`));
  const c = await start(slug);
  const d = await c.b.req('GET', await loginAtIdp(c.b, c.authUrl, 'bob'));
  assert.equal(d.json.code, 'sso_user_deactivated');
});

test('rolesFromGroups: union of mapped roles in canonical order, defaults otherwise', () => {
  const map = { A: ['operator' as const], B: ['admin' as const, 'operator' as const] };
  assert.deepEqual(rolesFromGroups(['A', 'B', 'C'], map, ['employee']), ['admin', 'operator']);
  assert.deepEqual(rolesFromGroups(['C'], map, ['employee']), ['employee']);
  assert.deepEqual(rolesFromGroups('A', map, ['employee']), ['operator']);
  assert.deepEqual(rolesFromGroups(undefined, map, ['employee']), ['employee']);
  assert.deepEqual(rolesFromGroups([{ A: 1 }], map, ['auditor']), ['auditor']);
});

test('the sign-in page learns an organisation\'s providers by slug, and nothing else; unknown and unconfigured look alike', async () => {
  const { slug } = await configuredTenant();
  const r = await s.client().get(`/api/v1/sso/providers?org=${slug}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { providers: [{ id: 'generic', name: 'Generic OpenID Connect', login_url: `/api/v1/sso/login?tenant=${slug}` }] });
  assert.doesNotMatch(r.text, /client|issuer|secret/i);
  const plain = await loginAs(s, { roles: ['admin'] });
  const plainSlug = (await s.db.tx({ tenantId: plain.tenantId }, (q) => q.query<{ slug: string }>(`SELECT slug FROM tenants`))).rows[0]!.slug;
  assert.deepEqual((await s.client().get(`/api/v1/sso/providers?org=${plainSlug}`)).json, { providers: [] });
  assert.deepEqual((await s.client().get('/api/v1/sso/providers?org=no-such-org')).json, { providers: [] });
  assert.equal((await s.client().get('/api/v1/sso/providers?org=Bad_Slug')).json.code, 'invalid_request');
});

// ---- Issue 12 items 2, 3 and 11 ----

async function tenantWith(json: Record<string, unknown>) {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const slug = (await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ slug: string }>(`SELECT slug FROM tenants`))).rows[0]!.slug;
  const put = await admin.client.request('PUT', '/api/v1/sso/config', { json: { client_id: 'parapet', client_secret: CLIENT_SECRET, ...json } });
  assert.equal(put.status, 200, put.text);
  return { admin, slug };
}
async function ssoLogin(slug: string, login: string) {
  const { b, authUrl } = await start(slug);
  const r = await b.req('GET', await loginAtIdp(b, authUrl, login));
  return { r, b };
}

test('multi-tenant Entra authorities (common, organizations, consumers) are refused, however spelled', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const bodies = [
    ...['common', 'organizations', 'consumers', 'Common'].map((directory) => ({ preset: 'entra', directory })),
    { preset: 'entra', issuer: 'https://login.microsoftonline.com/organizations/v2.0' },
    { preset: 'generic', issuer: 'https://login.microsoftonline.com/common/v2.0' },
    { preset: 'generic', issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' },
    { preset: 'okta', issuer: 'https://login.microsoftonline.com/consumers/' },
  ];
  for (const b of bodies) {
    const r = await a.client.request('PUT', '/api/v1/sso/config', { json: { ...b, client_id: 'parapet', client_secret: 'x' } });
    assert.equal(r.status, 400, JSON.stringify(b) + r.text);
    assert.equal(r.json.code, 'sso_multi_tenant_directory', JSON.stringify(b));
  }
  // A configuration stored before the rule (written directly) signs nobody in.
  const { admin, slug } = await tenantWith({ preset: 'generic', issuer });
  await s.asAdmin((db) => db.query(`UPDATE sso_configs SET issuer = 'https://login.microsoftonline.com/common/v2.0' WHERE tenant_id = $1`, [admin.tenantId]));
  const r = await new Browser().req('GET', `${s.url}/api/v1/sso/login?tenant=${slug}`);
  assert.equal(r.status, 400, r.body);
  assert.equal(r.json.code, 'sso_multi_tenant_directory');
});

test('an existing account is linked only by an email the IdP vouches for, and only once per issuer', async () => {
  const { admin, slug } = await tenantWith({ preset: 'generic', issuer, scopes: 'openid email profile' });
  // The organisation's admin exists already, with a password, under this address.
  await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query(`INSERT INTO users (tenant_id, email, roles) VALUES ($1, 'carol@example.com', '{admin}')`, [admin.tenantId]));
  const linked = () => s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ subject: string }>(`SELECT subject FROM sso_identities`)).then((r) => r.rows.map((x) => x.subject));
  for (const claims of [{ email: 'carol@example.com', email_verified: undefined }, { email: 'carol@example.com', email_verified: false }, { email: 'carol@example.com', email_verified: 'true' }]) {
    await tell({ accounts: { ...ACCOUNTS, carol: claims } });
    const { r, b } = await ssoLogin(slug, 'carol');
    assert.equal(r.status, 403, JSON.stringify(claims) + r.body);
    assert.equal(r.json.code, 'sso_email_unverified');
    assert.equal(b.jars.get(s.url)!.get('__Host-parapet_session'), undefined);
  }
  assert.deepEqual(await linked(), []);
  // Vouched: linked by (issuer, sub); later logins find it by that pair, whatever the email says.
  await tell({ accounts: { ...ACCOUNTS, carol: { email: 'carol@example.com', email_verified: true } } });
  const ok = await ssoLogin(slug, 'carol');
  assert.equal(ok.r.status, 200, ok.r.body);
  assert.deepEqual((await ok.b.req('GET', `${s.url}/api/v1/auth/session`)).json.roles, ['admin']);
  assert.deepEqual(await linked(), ['carol']);
  // A second subject of the same IdP claiming the same (verified) address does not get the account.
  await tell({ accounts: { ...ACCOUNTS, 'carol-twin': { email: 'carol@example.com', email_verified: true } } });
  const twin = await ssoLogin(slug, 'carol-twin');
  assert.equal(twin.r.status, 409, twin.r.body);
  assert.equal(twin.r.json.code, 'sso_identity_conflict');
  assert.deepEqual(await linked(), ['carol']);
  await tell({ accounts: ACCOUNTS });
});

test('Google Workspace allowed_domains: a token without hd (a consumer account) is refused', async () => {
  const { admin, slug } = await tenantWith({ preset: 'google', issuer, allowed_domains: ['example.com'] });
  await tell({ accounts: { ...ACCOUNTS, casey: {}, dana: { hd: 'example.com' }, erin: { hd: 'other.example' } } });
  try {
    const casey = await ssoLogin(slug, 'casey');
    assert.equal(casey.r.status, 403, casey.r.body);
    assert.equal(casey.r.json.code, 'sso_domain_not_allowed');
    const erin = await ssoLogin(slug, 'erin');
    assert.equal(erin.r.json.code, 'sso_domain_not_allowed');
    const dana = await ssoLogin(slug, 'dana');
    assert.equal(dana.r.status, 200, dana.r.body);
    const audit = await auditOf(admin.tenantId);
    assert.ok(audit.some((e) => e.outcome === 'failure' && e.details.code === 'sso_domain_not_allowed' && e.details.hd === null));
  } finally {
    await tell({ accounts: ACCOUNTS });
  }
});

test('an issuer that differs from the discovered one is sso_issuer_mismatch; iat is allowed 30 s into the future, no more', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const r = await a.client.request('PUT', '/api/v1/sso/config', { json: { preset: 'generic', issuer: `${issuer}/alias`, client_id: 'parapet', client_secret: CLIENT_SECRET } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.code, 'sso_issuer_mismatch');
  assert.match(r.json.detail, new RegExp(issuer.replace(/[.]/g, '\\.')));

  const { slug } = await configuredTenant();
  try {
    await tell({ iatOffsetSeconds: 120 });
    const future = await ssoLogin(slug, 'bob');
    assert.equal(future.r.status, 401, future.r.body);
    assert.equal(future.r.json.code, 'sso_id_token_expired');
    await tell({ iatOffsetSeconds: 20 });
    const near = await ssoLogin(slug, 'bob');
    assert.equal(near.r.status, 200, 'within the 30 s tolerance: ' + near.r.body);
  } finally {
    await tell({ iatOffsetSeconds: 0 });
  }
});
