/**
 * OIDC single sign-on (CORE-SSO): per-tenant IdP configuration (admin, step-up to change), the
 * login start (authorization code + PKCE + state + nonce) and the callback (validation by
 * openid-client, just-in-time provisioning, group → role mapping, session, audit).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { envelope } from '@parapet/core';
import type { Queryable } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { recordAudit } from '../platform/audit.js';
import { recordBudgeted } from '../audit/index.js';
import { ROLES, type Role, actorOf } from '../platform/principal.js';
import { defineActions } from '../platform/pdp.js';
import { SESSION_COOKIE, createSession, sessionCookieOptions } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import { insertUser, setUserRoles } from '../platform/users.js';
import { registerSealedColumn } from '../platform/sealed.js';
import { PRESETS, PRESET_INFO, type Preset, isMultiTenantIssuer, resolveIssuer } from './presets.js';
import { callbackProblem, checkIssuedAt, checkIssuerUrl, clientConfig, oidc } from './oidc.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'sso.config.read': { roles: ['admin'] },
  'sso.config.write': { roles: ['admin'], stepUp: true },
});

/** Carries the state through the IdP round trip. Lax: the callback is a cross-site top-level GET. */
export const SSO_STATE_COOKIE = '__Host-parapet_sso';
const STATE_TTL_SECONDS = 600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

interface ConfigRow {
  id: string;
  preset: Preset;
  issuer: string;
  client_id: string;
  client_secret_sealed: string | null;
  scopes: string;
  groups_claim: string | null;
  group_roles: Record<string, Role[]>;
  default_roles: Role[];
  allowed_domains: string[];
  jit_provisioning: boolean;
  enabled: boolean;
  updated_at: Date;
}

const configView = {
  type: 'object',
  properties: {
    preset: { type: 'string' },
    issuer: { type: 'string' },
    client_id: { type: 'string' },
    has_client_secret: { type: 'boolean' },
    scopes: { type: 'string' },
    groups_claim: { type: ['string', 'null'] },
    group_roles: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    default_roles: { type: 'array', items: { type: 'string' } },
    allowed_domains: { type: 'array', items: { type: 'string' } },
    jit_provisioning: { type: 'boolean' },
    enabled: { type: 'boolean' },
    redirect_uri: { type: 'string' },
    updated_at: { type: 'string' },
  },
  required: ['preset', 'issuer', 'client_id', 'has_client_secret', 'scopes', 'groups_claim', 'group_roles', 'default_roles', 'allowed_domains', 'jit_provisioning', 'enabled', 'redirect_uri', 'updated_at'],
  additionalProperties: false,
} as const;

/** presets.ts PresetInfo, by preset id: how each IdP's issuer is found and what to configure there. */
const presetsView = {
  type: 'object',
  additionalProperties: false,
  required: ['presets'],
  properties: {
    presets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'scopes', 'groups_claim', 'issuer', 'notes'],
        properties: {
          id: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' }, groups_claim: { type: ['string', 'null'] }, notes: { type: 'string' },
          // kind fixed: url; directory: template with {directory}; given: neither.
          issuer: { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { type: 'string', enum: ['fixed', 'directory', 'given'] }, url: { type: 'string' }, template: { type: 'string' } } },
        },
      },
    },
  },
} as const;

const view = (r: ConfigRow, redirectUri: string) => ({
  preset: r.preset,
  issuer: r.issuer,
  client_id: r.client_id,
  has_client_secret: r.client_secret_sealed !== null,
  scopes: r.scopes,
  groups_claim: r.groups_claim,
  group_roles: r.group_roles,
  default_roles: r.default_roles,
  allowed_domains: r.allowed_domains,
  jit_provisioning: r.jit_provisioning,
  enabled: r.enabled,
  redirect_uri: redirectUri,
  updated_at: r.updated_at.toISOString(),
});

const secretRecord = (tenantId: string) => `sso_configs:${tenantId}:client_secret`;
registerSealedColumn({ table: 'sso_configs', column: 'client_secret_sealed', keyColumns: ['id'], record: (_r, tenantId) => secretRecord(tenantId) });
const redirectUriOf = (req: FastifyRequest) => `https://${req.headers.host ?? 'localhost'}/api/v1/sso/callback`;

const multiTenant = () => new ProblemError(400, 'sso_multi_tenant_directory', 'Multi-tenant directories (common, organizations, consumers) let any directory sign in; configure your own directory (tenant) id.');

/**
 * Whether the IdP vouches that the ID token's `email` belongs to the person signing in:
 * `email_verified: true` (OpenID Connect Core 5.1), or for Entra ID, whose tokens carry no
 * email_verified, the optional claim `xms_edov: true` (the email's domain is verified by the
 * directory that owns it). A missing claim does not vouch.
 */
export function emailVouched(preset: Preset, claims: Record<string, unknown>): boolean {
  if (claims.email_verified === true) return true;
  return preset === 'entra' && (claims.xms_edov === true || claims.xms_edov === 1 || claims.xms_edov === '1' || claims.xms_edov === 'true');
}

/**
 * The allowed_domains rule (empty list: no restriction). The email's domain must be listed; a
 * present `hd` must be listed; with the Google preset `hd` (the Workspace domain) must be present,
 * since a Google account without it is a consumer account whatever its email says.
 */
export function domainAllowed(preset: Preset, allowed: string[], claims: Record<string, unknown>): boolean {
  if (!allowed.length) return true;
  const ok = (d: unknown) => typeof d === 'string' && allowed.includes(d.toLowerCase());
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  if (!email || !ok(email.slice(email.lastIndexOf('@') + 1))) return false;
  if (claims.hd !== undefined && !ok(claims.hd)) return false;
  if (preset === 'google' && !ok(claims.hd)) return false;
  return true;
}

/** Roles from the IdP's groups: the union of mapped roles, or the defaults when none match. */
export function rolesFromGroups(groups: unknown, map: Record<string, Role[]>, defaults: Role[]): Role[] {
  const list = Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : typeof groups === 'string' ? [groups] : [];
  const out = new Set<Role>();
  for (const g of list) for (const r of map[g] ?? []) out.add(r);
  return out.size ? ROLES.filter((r) => out.has(r)) : [...defaults];
}

export async function ssoRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();

  app.get('/api/v1/sso/presets', { schema: { tags: ['sso'], summary: 'IdP presets.', response: { 200: presetsView, '4xx': { $ref: 'Problem#' } } } as const }, async () => ({
    presets: PRESETS.map((id) => ({ id, name: PRESET_INFO[id].name, scopes: PRESET_INFO[id].scopes, groups_claim: PRESET_INFO[id].groupsClaim, issuer: PRESET_INFO[id].issuer, notes: PRESET_INFO[id].notes })),
  }));

  app.get('/api/v1/sso/config', { schema: { tags: ['sso'], summary: "This tenant's IdP configuration (never the secret).", response: { 200: configView, '4xx': { $ref: 'Problem#' } } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'sso.config.read', { type: 'sso_config' });
    const row = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => (await q.query<ConfigRow>(`SELECT * FROM sso_configs`)).rows[0]);
    if (!row) throw new ProblemError(404, 'sso_not_configured', 'This organisation has no single sign-on configured.');
    return view(row, redirectUriOf(req));
  });

  app.put(
    '/api/v1/sso/config',
    {
      schema: {
        tags: ['sso'],
        summary: 'Set the IdP (discovery is checked before saving). Needs step-up.',
        body: {
          type: 'object',
          required: ['preset', 'client_id'],
          additionalProperties: false,
          properties: {
            preset: { type: 'string', enum: [...PRESETS] },
            issuer: { type: 'string', maxLength: 500 },
            directory: { type: 'string', maxLength: 100 },
            client_id: { type: 'string', minLength: 1, maxLength: 300 },
            client_secret: { type: 'string', minLength: 1, maxLength: 1000 },
            scopes: { type: 'string', maxLength: 500, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$' },
            groups_claim: { type: ['string', 'null'], maxLength: 100 },
            group_roles: { type: 'object', maxProperties: 500, additionalProperties: { type: 'array', items: { type: 'string', enum: [...ROLES] } } },
            default_roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } },
            allowed_domains: { type: 'array', maxItems: 100, items: { type: 'string', pattern: '^[a-z0-9.-]+\\.[a-z]{2,}$' } },
            jit_provisioning: { type: 'boolean' },
            enabled: { type: 'boolean' },
          },
        },
        response: { 200: configView, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'sso.config.write', { type: 'sso_config' });
      const b = req.body;
      const issuer = resolveIssuer(b.preset, b);
      if (typeof issuer !== 'string') throw new ProblemError(400, 'sso_issuer_required', issuer.error);
      if (isMultiTenantIssuer(issuer)) throw multiTenant();
      checkIssuerUrl(issuer);
      const tenantId = p.tenantId;
      const existing = await deps.db.tx({ tenantId, actor: `user:${p.userId}` }, async (q) => (await q.query<ConfigRow>(`SELECT * FROM sso_configs`)).rows[0]);
      // Keep the stored secret unless a new one is given.
      const secret = b.client_secret ?? (existing?.client_secret_sealed ? (await envelope.open(deps.keys, existing.client_secret_sealed, { tenantId, record: secretRecord(tenantId) })).toString('utf8') : undefined);
      const config = await clientConfig(issuer, b.client_id, secret);
      if (!config.serverMetadata().authorization_endpoint) throw new ProblemError(400, 'sso_issuer_invalid', 'The issuer has no authorization endpoint.');
      const sealed = b.client_secret ? await envelope.seal(deps.keys, b.client_secret, { tenantId, record: secretRecord(tenantId) }) : (existing?.client_secret_sealed ?? null);
      const preset = PRESET_INFO[b.preset];
      const row = await deps.db.tx({ tenantId, actor: `user:${p.userId}` }, async (q) => {
        const { rows } = await q.query<ConfigRow>(
          `INSERT INTO sso_configs (tenant_id, preset, issuer, client_id, client_secret_sealed, scopes, groups_claim, group_roles, default_roles, allowed_domains, jit_provisioning, enabled)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (tenant_id) DO UPDATE SET preset = EXCLUDED.preset, issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
             client_secret_sealed = EXCLUDED.client_secret_sealed, scopes = EXCLUDED.scopes, groups_claim = EXCLUDED.groups_claim,
             group_roles = EXCLUDED.group_roles, default_roles = EXCLUDED.default_roles, allowed_domains = EXCLUDED.allowed_domains,
             jit_provisioning = EXCLUDED.jit_provisioning, enabled = EXCLUDED.enabled, updated_at = now()
           RETURNING *`,
          [
            tenantId, b.preset, issuer, b.client_id, sealed, b.scopes ?? preset.scopes,
            b.groups_claim !== undefined ? b.groups_claim : preset.groupsClaim, JSON.stringify(b.group_roles ?? {}),
            b.default_roles ?? ['employee'], b.allowed_domains ?? [], b.jit_provisioning ?? true, b.enabled ?? true,
          ],
        );
        await recordAudit(q, tenantId, actorOf(req), {
          action: 'sso.config.updated',
          outcome: 'success',
          target: { type: 'sso_config', id: rows[0]!.id },
          details: { preset: b.preset, issuer, client_id: b.client_id, secret_changed: b.client_secret !== undefined, group_roles: b.group_roles ?? {} },
        });
        return rows[0]!;
      });
      return view(row, redirectUriOf(req));
    },
  );

  app.delete('/api/v1/sso/config', { schema: { tags: ['sso'], summary: 'Remove single sign-on. Needs step-up.', response: { 204: { type: 'null' }, '4xx': { $ref: 'Problem#' } } } as const }, async (req, reply) => {
    const { principal: p } = await guard(req, 'sso.config.write', { type: 'sso_config' });
    await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
      const r = await q.query<{ id: string }>(`DELETE FROM sso_configs RETURNING id`);
      if (!r.rows[0]) throw new ProblemError(404, 'sso_not_configured', 'This organisation has no single sign-on configured.');
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'sso.config.deleted', outcome: 'success', target: { type: 'sso_config', id: r.rows[0].id } });
    });
    reply.code(204);
  });

  async function loadConfig(q: Queryable, tenantId: string): Promise<{ row: ConfigRow; secret: string | undefined }> {
    const row = (await q.query<ConfigRow>(`SELECT * FROM sso_configs`)).rows[0];
    if (!row || !row.enabled) throw new ProblemError(404, 'sso_not_configured', 'This organisation has no single sign-on configured.');
    // A configuration saved before multi-tenant directories were refused signs nobody in.
    if (isMultiTenantIssuer(row.issuer)) throw multiTenant();
    const secret = row.client_secret_sealed ? (await envelope.open(deps.keys, row.client_secret_sealed, { tenantId, record: secretRecord(tenantId) })).toString('utf8') : undefined;
    return { row, secret };
  }

  // Before sign-in the login form asks which identity providers an organisation offers. It
  // learns only a display name and where to start; nothing about the configuration itself.
  app.get(
    '/api/v1/sso/providers',
    {
      schema: {
        tags: ['sso'],
        summary: "The organisation's single sign-on options for the sign-in page (no configuration details).",
        querystring: { type: 'object', required: ['org'], additionalProperties: false, properties: { org: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' } } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['providers'],
            properties: { providers: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'name', 'login_url'], properties: { id: { type: 'string' }, name: { type: 'string' }, login_url: { type: 'string' } } } } },
          },
          '4xx': { $ref: 'Problem#' },
        },
      } as const,
    },
    async (req) => {
      const { org } = req.query;
      const t = await deps.db.tx({ tenantSlug: org }, async (q) => (await q.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = $1`, [org])).rows[0]);
      // An unknown organisation and one without SSO look the same: no providers.
      if (!t) return { providers: [] };
      const rows = await deps.db.tx({ tenantId: t.id, actor: 'system:sso' }, async (q) => (await q.query<{ preset: Preset }>(`SELECT preset FROM sso_configs WHERE enabled`)).rows);
      return { providers: rows.map((r) => ({ id: r.preset, name: PRESET_INFO[r.preset].name.replace(/ \(discovery\)$/, ''), login_url: `/api/v1/sso/login?tenant=${encodeURIComponent(org)}` })) };
    },
  );

  app.get(
    '/api/v1/sso/login',
    {
      schema: {
        tags: ['sso'],
        summary: 'Start a single sign-on login: redirects to the identity provider.',
        querystring: { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' } } },
        response: { 302: { type: 'null' }, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      } as const,
    },
    async (req, reply) => {
      const { tenant: slug } = req.query;
      const t = await deps.db.tx({ tenantSlug: slug }, async (q) => (await q.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = $1`, [slug])).rows[0]);
      if (!t) throw new ProblemError(404, 'sso_not_configured', 'This organisation has no single sign-on configured.');
      const tenantId = t.id;
      const { row, secret } = await deps.db.tx({ tenantId, actor: 'system:sso' }, (q) => loadConfig(q, tenantId));
      const config = await clientConfig(row.issuer, row.client_id, secret);
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      // The state names the tenant, so the callback knows where to look before it trusts anything.
      const state = `${tenantId}.${randomBytes(32).toString('base64url')}`;
      await deps.db.tx({ tenantId, actor: 'system:sso' }, async (q) => {
        await q.query(`DELETE FROM sso_login_states WHERE expires_at < now()`);
        await q.query(
          `INSERT INTO sso_login_states (tenant_id, state_hash, code_verifier, nonce, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
          [tenantId, sha256(state), verifier, nonce, STATE_TTL_SECONDS],
        );
      });
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUriOf(req),
        scope: row.scopes,
        response_type: 'code',
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      reply.setCookie(SSO_STATE_COOKIE, state, { path: '/', httpOnly: true, secure: true, sameSite: 'lax', maxAge: STATE_TTL_SECONDS });
      reply.redirect(url.href, 302);
    },
  );

  app.get(
    '/api/v1/sso/callback',
    {
      schema: {
        tags: ['sso'],
        summary: 'The identity provider returns here; on success a session cookie is set.',
        querystring: { type: 'object', properties: { state: { type: 'string', maxLength: 200 } }, additionalProperties: true },
        response: { 200: { description: 'A page that continues to the console.', content: { 'text/html': { schema: { type: 'string' } } } }, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      } as const,
    },
    async (req, reply) => {
      const state = req.query.state ?? '';
      const tenantId = state.split('.')[0] ?? '';
      const cookieState = req.cookies[SSO_STATE_COOKIE] ?? '';
      reply.clearCookie(SSO_STATE_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'lax' });
      // The state must come back to the browser that started the login (login CSRF).
      const sameBrowser = cookieState.length === state.length && state.length > 0 && timingSafeEqual(Buffer.from(cookieState), Buffer.from(state));
      const invalid = () => new ProblemError(400, 'sso_state_invalid', 'This sign-in link is not valid for this browser; start the sign-in again.');
      if (!UUID.test(tenantId)) throw invalid();
      const tenantExists = await deps.db.tx({ tenantId }, async (q) => (await q.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId])).rows.length > 0);
      if (!tenantExists) throw invalid();
      const actor = { ...actorOf(req), type: 'system' as const, id: 'sso' };
      const fail = async (p: ProblemError, details: Record<string, unknown> = {}) => {
        // Anyone can send a callback naming an existing tenant: bounded (audit/unauthenticated.ts).
        await deps.db.tx({ tenantId, actor: 'system:sso' }, (q) => recordBudgeted(q, tenantId, actor, { action: 'sso.login.completed', outcome: 'failure', details: { code: p.code, ...details } }));
        return p;
      };
      if (!sameBrowser) throw await fail(invalid(), { reason: 'state cookie missing or different' });
      // Single use: the state row is consumed before the code is redeemed.
      const pending = await deps.db.tx({ tenantId, actor: 'system:sso' }, async (q) =>
        (await q.query<{ code_verifier: string; nonce: string }>(
          `UPDATE sso_login_states SET used_at = now() WHERE state_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING code_verifier, nonce`,
          [sha256(state)],
        )).rows[0],
      );
      if (!pending) throw await fail(new ProblemError(400, 'sso_state_invalid', 'This sign-in link has expired or was already used; start the sign-in again.'));
      const { row, secret } = await deps.db.tx({ tenantId, actor: 'system:sso' }, (q) => loadConfig(q, tenantId));

      let claims: Record<string, unknown>;
      try {
        const config = await clientConfig(row.issuer, row.client_id, secret);
        const current = new URL(redirectUriOf(req));
        current.search = new URL(req.url, 'https://x').search;
        const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.code_verifier, expectedNonce: pending.nonce, expectedState: state, idTokenExpected: true });
        claims = (tokens.claims() ?? {}) as Record<string, unknown>;
        checkIssuedAt(claims, deps.now().getTime());
      } catch (e) {
        const p = callbackProblem(e);
        throw await fail(p, { error: (e as Error).message });
      }

      const sub = String(claims.sub);
      const issuer = String(claims.iss);
      const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
      if (!domainAllowed(row.preset, row.allowed_domains, claims)) {
        throw await fail(new ProblemError(403, 'sso_domain_not_allowed', "Your account's domain may not sign in to this organisation."), { sub, hd: typeof claims.hd === 'string' ? claims.hd : null });
      }
      const groups = row.groups_claim ? claims[row.groups_claim] : undefined;
      const mapping = row.groups_claim && Object.keys(row.group_roles).length > 0 && groups !== undefined;

      const result = await deps.db.tx({ tenantId, actor: 'system:sso' }, async (q): Promise<{ problem?: ProblemError; session?: { id: string; cookie: string } }> => {
        let user = (await q.query<{ id: string; email: string; roles: Role[]; status: string }>(
          `SELECT u.id, u.email, u.roles, u.status FROM sso_identities i JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2`,
          [issuer, sub],
        )).rows[0];
        let provisioned = false;
        if (!user) {
          const unverified = new ProblemError(403, 'sso_email_unverified', 'The identity provider did not vouch for your email address.');
          if (!email || claims.email_verified === false) return { problem: unverified };
          user = (await q.query<{ id: string; email: string; roles: Role[]; status: string }>(`SELECT id, email, roles, status FROM users WHERE email = $1`, [email])).rows[0];
          if (user) {
            // Linking an IdP identity to an account that already exists hands that account over:
            // only when the IdP vouches for the email, and never beside another identity of the
            // same issuer (a second subject claiming the same address).
            if (!emailVouched(row.preset, claims)) return { problem: unverified };
            const other = await q.query(`SELECT 1 FROM sso_identities WHERE user_id = $1 AND issuer = $2`, [user.id, issuer]);
            if (other.rows.length) return { problem: new ProblemError(409, 'sso_identity_conflict', 'Another identity at this identity provider is already linked to this account; ask an administrator.') };
          } else {
            if (!row.jit_provisioning) return { problem: new ProblemError(403, 'sso_user_not_provisioned', 'You have no account in this organisation yet; ask an administrator.') };
            const roles = rolesFromGroups(groups, row.group_roles, row.default_roles);
            const name = typeof claims.name === 'string' ? claims.name.slice(0, 400) : '';
            user = await insertUser(q, tenantId, { email, displayName: name, roles });
            provisioned = true;
            await recordAudit(q, tenantId, actor, { action: 'sso.user.provisioned', outcome: 'success', target: { type: 'user', id: user.id }, details: { email, roles, issuer, sub } });
          }
          await q.query(`INSERT INTO sso_identities (tenant_id, issuer, subject, user_id) VALUES ($1, $2, $3, $4)`, [tenantId, issuer, sub, user.id]);
        }
        if (user.status !== 'active') return { problem: new ProblemError(403, 'sso_user_deactivated', 'This account is deactivated.') };
        if (mapping && !provisioned) {
          const roles = rolesFromGroups(groups, row.group_roles, row.default_roles);
          if (roles.join() !== [...user.roles].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b)).join()) {
            await setUserRoles(q, tenantId, user.id, roles);
            await recordAudit(q, tenantId, actor, { action: 'sso.roles.changed', outcome: 'success', target: { type: 'user', id: user.id }, details: { from: user.roles, to: roles, groups } });
            user = { ...user, roles };
          }
        }
        await q.query(`UPDATE sso_identities SET last_login_at = now() WHERE issuer = $1 AND subject = $2`, [issuer, sub]);
        const ua = req.headers['user-agent'];
        const session = await createSession(q, { tenantId, userId: user.id, ip: req.ip, userAgent: ua });
        await recordAudit(q, tenantId, { ...actorOf(req), type: 'user', id: user.id, name: user.email }, {
          action: 'sso.login.completed',
          outcome: 'success',
          target: { type: 'session', id: session.id },
          details: { issuer, sub, provisioned, roles: user.roles },
        });
        return { session };
      });
      if (result.problem) throw await fail(result.problem, { sub });
      reply.setCookie(SESSION_COOKIE, result.session!.cookie, sessionCookieOptions());
      // A page, not a redirect: a SameSite=Strict cookie is not sent on a redirect chain that began
      // at the IdP, but it is on this same-site navigation.
      reply.type('text/html; charset=utf-8');
      return '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Signed in</title><p>Signed in. <a href="/">Continue</a></p>';
    },
  );
}

