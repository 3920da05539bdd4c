/**
 * Support access API (CORE-SUPPORT), three audiences:
 *
 * - the customer's admins, under /api/v1/support/grants: open (admin, step-up), list with live
 *   sessions (admin, security lead, auditor) and revoke (admin) grants;
 * - vendor support staff signing in, under /api/v1/support/enrol/* and /api/v1/support/auth/*:
 *   WebAuthn only (registration with the operator's one-time code, then assertions); a sign-in
 *   names the customer organisation and an open grant, and yields a support session pinned to it;
 * - the support session, under /api/v1/support/session and /api/v1/support/tenant/*. The support
 *   cookie is read only by this module's hook, so no other route of Parapet ever sees a support
 *   principal; every request of a support session is recorded in the customer's audit log with
 *   the grant id (onSend, before the answer leaves), and read_only grants refuse every change.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { actorOf, type UserPrincipal } from '../platform/principal.js';
import { CSRF_HEADER, relyingParty, webauthnLib, unlockUser, creationOptions, requestOptions } from '../auth/index.js';
import { recordAudit } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { type ApiTypeProvider, webauthnAssertion, webauthnRegistration } from '../http/type-provider.js';
import {
  listGrants, maxGrantHours, openGrant, openSupportSession, resolveSupportSession, revokeGrant, sha256, supportActor,
  SUPPORT_COOKIE, SUPPORT_SCOPES, SUPPORT_GRANT_HARD_MAX_HOURS, type SupportPrincipal, type SupportScope,
} from './support.js';
import { guard } from '../platform/guard.js';

defineActions({
  'support.grant.read': { roles: ['admin', 'security_lead', 'auditor'] },
  'support.grant.open': { roles: ['admin'], stepUp: true },
  'support.grant.revoke': { roles: ['admin'] },
});

const CHALLENGE_SECONDS = 5 * 60;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const problems = { '4xx': { $ref: 'Problem#' } } as const;
const grantSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' }, reason: { type: 'string' }, ticket: { type: 'string' }, scope: { enum: [...SUPPORT_SCOPES] }, created_by: { type: 'string' },
    created_at: { type: 'string' }, expires_at: { type: 'string' }, revoked_at: { type: ['string', 'null'] }, status: { enum: ['open', 'expired', 'revoked'] },
    sessions: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'staff_email', 'created_at', 'last_seen_at', 'ip'], properties: { id: { type: 'string' }, staff_email: { type: 'string' }, created_at: { type: 'string' }, last_seen_at: { type: 'string' }, ip: { type: ['string', 'null'] } } } },
  },
  required: ['id', 'reason', 'ticket', 'scope', 'created_by', 'created_at', 'expires_at', 'revoked_at', 'status', 'sessions'],
} as const;

/** The challenge a WebAuthn response answers (clientDataJSON.challenge), or undefined. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  try {
    const c = JSON.parse(Buffer.from(String(response.response?.clientDataJSON ?? ''), 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof c.challenge === 'string' && c.challenge.length <= 200 ? c.challenge : undefined;
  } catch {
    return undefined;
  }
}

const refusedSignIn = () => new ProblemError(401, 'support_signin_failed', 'The security key did not verify for this support member.');

export async function supportRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const supportOf = new WeakMap<FastifyRequest, SupportPrincipal>();
  const tctx = (p: UserPrincipal) => ({ tenantId: p.tenantId, actor: `user:${p.userId}` });

  // ---- customer side --------------------------------------------------------------------

  app.get('/api/v1/support/grants', { schema: { tags: ['support'], summary: 'Support grants of this organisation, newest first, with the live support sessions of each.', response: { 200: { type: 'object', additionalProperties: false, required: ['max_hours', 'grants'], properties: { max_hours: { type: 'integer' }, grants: { type: 'array', items: grantSchema } } }, ...problems } } }, async (req) => {
    const { principal: p } = await guard(req, 'support.grant.read', { type: 'support_grant' });
    return deps.db.tx(tctx(p), async (q) => ({ max_hours: await maxGrantHours(q, p.tenantId), grants: await listGrants(q, deps.now()) }));
  });

  app.post(
    '/api/v1/support/grants',
    {
      schema: {
        tags: ['support'],
        summary: "Open a support grant (admin, step-up): vendor support may sign in to this organisation until it expires or is revoked; every request they make is in this organisation's audit log.",
        body: {
          type: 'object', required: ['reason', 'ticket', 'hours', 'scope'], additionalProperties: false,
          properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 }, ticket: { type: 'string', minLength: 1, maxLength: 200 }, hours: { type: 'integer', minimum: 1, maximum: SUPPORT_GRANT_HARD_MAX_HOURS }, scope: { enum: [...SUPPORT_SCOPES] } },
        },
        response: { 201: grantSchema, ...problems },
      },
    },
    async (req, reply) => {
      const grant = await guard(req, 'support.grant.open', { type: 'support_grant' }, { denialEvent: 'support.grant.refused' });
      const p = grant.principal;
      try {
        const g = await grant.tx((q) => openGrant(q, p.tenantId, { ...grant.actor, id: p.userId }, req.body, deps.now()));
        reply.code(201);
        return g;
      } catch (e) {
        if (e instanceof ProblemError && e.status < 500) {
          await grant.tx((q) => recordAudit(q, p.tenantId, grant.actor, { action: 'support.grant.refused', outcome: 'failure', details: { code: e.code, attempted: 'support.grant.open', hours: req.body.hours, scope: req.body.scope } }));
        }
        throw e;
      }
    },
  );

  app.post(
    '/api/v1/support/grants/:id/revoke',
    { schema: { tags: ['support'], summary: 'Revoke a support grant (admin): its support sessions end at once.', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } }, response: { 200: grantSchema, ...problems } } },
    async (req) => {
      const { principal: p } = await guard(req, 'support.grant.revoke', { type: 'support_grant', id: req.params.id });
      return deps.db.tx(tctx(p), (q) => revokeGrant(q, p.tenantId, { ...actorOf(req), id: p.userId }, req.params.id, deps.now()));
    },
  );

  // ---- vendor realm: enrolment and sign-in (WebAuthn only) --------------------------------

  const enrolBody = { email: { type: 'string', minLength: 3, maxLength: 320 }, code: { type: 'string', minLength: 8, maxLength: 100 } } as const;

  /** The staff member an enrolment code belongs to, or a 401 problem. */
  async function enrolment(q: import('@parapet/db').Queryable, email: string, code: string) {
    const r = (await q.query<{ staff_id: string; challenge: string | null }>(
      `SELECT e.staff_id, e.challenge FROM support_enrolments e JOIN support_staff s ON s.id = e.staff_id
        WHERE s.email = $1 AND e.code_hash = $2 AND e.expires_at > now() AND s.disabled_at IS NULL`,
      [email.trim().toLowerCase(), sha256(code)],
    )).rows[0];
    if (!r) throw new ProblemError(401, 'support_enrolment_invalid', 'This enrolment code is unknown, used or expired; ask the operator for a new one.');
    return r;
  }

  app.post(
    '/api/v1/support/enrol/options',
    { schema: { tags: ['support'], summary: "Vendor support: registration options for a security key, with the operator's one-time enrolment code.", body: { type: 'object', required: ['email', 'code'], additionalProperties: false, properties: enrolBody }, response: { 200: creationOptions, ...problems } } },
    async (req) => {
      const { rpID } = relyingParty(req);
      return deps.db.tx({ actor: 'system:support-enrol' }, async (q) => {
        const e = await enrolment(q, req.body.email, req.body.code);
        const existing = (await q.query<{ credential_id: string }>(`SELECT credential_id FROM support_credentials WHERE staff_id = $1`, [e.staff_id])).rows;
        const options = await (await webauthnLib()).generateRegistrationOptions({
          rpName: 'Parapet support', rpID, userName: req.body.email.trim().toLowerCase(), userID: new TextEncoder().encode(e.staff_id), attestationType: 'none',
          excludeCredentials: existing.map((c) => ({ id: c.credential_id })),
          authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        });
        await q.query(`UPDATE support_enrolments SET challenge = $2 WHERE staff_id = $1`, [e.staff_id, options.challenge]);
        return options;
      });
    },
  );

  app.post(
    '/api/v1/support/enrol/verify',
    { schema: { tags: ['support'], summary: 'Vendor support: store the security key; the enrolment code is used up.', body: { type: 'object', required: ['email', 'code', 'response'], additionalProperties: false, properties: { ...enrolBody, response: webauthnRegistration } }, response: { 200: { type: 'object', additionalProperties: false, required: ['credential_id'], properties: { credential_id: { type: 'string' } } }, ...problems } } },
    async (req) => {
      const { rpID, origin } = relyingParty(req);
      return deps.db.tx({ actor: 'system:support-enrol' }, async (q) => {
        const e = await enrolment(q, req.body.email, req.body.code);
        if (!e.challenge) throw new ProblemError(400, 'webauthn_challenge_missing', 'Ask for registration options first.');
        let v;
        try {
          v = await (await webauthnLib()).verifyRegistrationResponse({ response: req.body.response, expectedChallenge: e.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false });
        } catch (err) {
          throw new ProblemError(400, 'webauthn_invalid', `The authenticator's answer did not verify: ${(err as Error).message}`);
        }
        if (!v.verified) throw new ProblemError(400, 'webauthn_invalid', "The authenticator's answer did not verify.");
        const c = v.registrationInfo.credential;
        const dup = await q.query(`SELECT 1 FROM support_credentials WHERE credential_id = $1`, [c.id]);
        if (dup.rows.length) throw new ProblemError(409, 'webauthn_credential_exists', 'This security key is already registered.');
        await q.query(`INSERT INTO support_credentials (staff_id, credential_id, public_key, sign_count, transports) VALUES ($1, $2, $3, $4, $5)`, [e.staff_id, c.id, Buffer.from(c.publicKey), c.counter, c.transports ?? []]);
        await q.query(`DELETE FROM support_enrolments WHERE staff_id = $1`, [e.staff_id]);
        return { credential_id: c.id };
      });
    },
  );

  app.post(
    '/api/v1/support/auth/options',
    { schema: { tags: ['support'], summary: 'Vendor support sign-in, step 1: assertion options for the member’s security keys, or without an e-mail for a discoverable key that names its member (there is no password sign-in).', body: { type: 'object', additionalProperties: false, properties: { email: { type: 'string', minLength: 3, maxLength: 320 } } }, response: { 200: requestOptions, ...problems } } },
    async (req) => {
      const { rpID } = relyingParty(req);
      if (req.body.email === undefined) {
        // Discoverable sign-in: any registered key may answer; the member is found from it at verify.
        const options = await (await webauthnLib()).generateAuthenticationOptions({ rpID, userVerification: 'preferred' });
        await deps.db.tx({ actor: 'system:support-signin' }, async (q) => {
          await q.query(`DELETE FROM support_challenges WHERE expires_at < now()`);
          await q.query(`INSERT INTO support_challenges (challenge, staff_id, expires_at) VALUES ($1, NULL, now() + make_interval(secs => $2))`, [options.challenge, CHALLENGE_SECONDS]);
        });
        return options;
      }
      const email = req.body.email;
      return deps.db.tx({ actor: 'system:support-signin' }, async (q) => {
        const creds = (await q.query<{ staff_id: string; credential_id: string; transports: string[] }>(
          `SELECT c.staff_id, c.credential_id, c.transports FROM support_credentials c JOIN support_staff s ON s.id = c.staff_id WHERE s.email = $1 AND s.disabled_at IS NULL`,
          [email.trim().toLowerCase()],
        )).rows;
        // An unknown member gets options too (with a challenge nothing can answer): the answer does not tell who is enrolled.
        const options = await (await webauthnLib()).generateAuthenticationOptions({ rpID, allowCredentials: creds.map((c) => ({ id: c.credential_id, transports: c.transports as never })), userVerification: 'preferred' });
        if (creds[0]) {
          await q.query(`DELETE FROM support_challenges WHERE expires_at < now()`);
          await q.query(`INSERT INTO support_challenges (challenge, staff_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [options.challenge, creds[0].staff_id, CHALLENGE_SECONDS]);
        }
        return options;
      });
    },
  );

  app.post(
    '/api/v1/support/auth/verify',
    {
      schema: {
        tags: ['support'],
        summary: "Vendor support sign-in, step 2: a security-key assertion plus the customer's organisation and open grant; answers a support session pinned to that grant.",
        body: { type: 'object', required: ['org', 'grant_id', 'response'], additionalProperties: false, properties: { org: { type: 'string', minLength: 1, maxLength: 63 }, grant_id: { type: 'string', pattern: UUID }, response: webauthnAssertion } },
        response: { 200: { type: 'object', additionalProperties: false, required: ['csrf_token', 'tenant_id', 'grant_id', 'scope', 'expires_at'], properties: { csrf_token: { type: 'string' }, tenant_id: { type: 'string' }, grant_id: { type: 'string' }, scope: { type: 'string' }, expires_at: { type: 'string' } } }, ...problems },
      },
    },
    async (req, reply) => {
      const { rpID, origin } = relyingParty(req);
      const response = req.body.response;
      const challenge = challengeOf(response);
      if (!challenge) throw refusedSignIn();
      // 1. The vendor realm: the assertion proves the member (challenge used up whatever happens).
      const staff = await deps.db.tx({ actor: 'system:support-signin' }, async (q) => {
        const ch = (await q.query<{ staff_id: string | null; live: boolean }>(`DELETE FROM support_challenges WHERE challenge = $1 RETURNING staff_id, expires_at > now() AS live`, [challenge])).rows[0];
        if (!ch?.live) return undefined;
        // A challenge issued for an e-mail accepts only that member's keys; a discoverable one, any member's.
        const cred = (await q.query<{ staff_id: string; credential_id: string; public_key: Buffer; sign_count: string; transports: string[]; email: string }>(
          `SELECT c.staff_id, c.credential_id, c.public_key, c.sign_count::text, c.transports, s.email FROM support_credentials c JOIN support_staff s ON s.id = c.staff_id
            WHERE ($1::uuid IS NULL OR c.staff_id = $1) AND c.credential_id = $2 AND s.disabled_at IS NULL`,
          [ch.staff_id, String(response.id ?? '')],
        )).rows[0];
        if (!cred) return undefined;
        try {
          const v = await (await webauthnLib()).verifyAuthenticationResponse({
            response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false,
            credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: Number(cred.sign_count), transports: cred.transports as never },
          });
          if (!v.verified) return undefined;
          await q.query(`UPDATE support_credentials SET sign_count = $2, last_used_at = now() WHERE credential_id = $1`, [cred.credential_id, v.authenticationInfo.newCounter]);
          return { id: cred.staff_id, email: cred.email };
        } catch {
          return undefined; // wrong signature, origin, RP, or a cloned key (counter went back)
        }
      });
      if (!staff) throw refusedSignIn();
      // 2. The customer's tenant: the grant must be open there.
      const tenantId = (await deps.db.tx({ tenantSlug: req.body.org }, (q) => q.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = $1`, [req.body.org]))).rows[0]?.id;
      if (!tenantId) throw new ProblemError(403, 'support_grant_not_open', 'There is no open support grant with this id in this organisation.');
      const ua = req.headers['user-agent'];
      try {
        const s = await deps.db.tx({ tenantId, actor: `system:support:${staff.id}` }, (q) => openSupportSession(q, tenantId, req.body.grant_id, staff, req.ip, ua, deps.now()));
        reply.setCookie(SUPPORT_COOKIE, s.cookie, { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: Math.max(1, Math.floor((s.principal.expiresAt.getTime() - deps.now().getTime()) / 1000)) });
        return { csrf_token: s.csrfToken, tenant_id: tenantId, grant_id: s.principal.grantId, scope: s.principal.scope, expires_at: s.principal.expiresAt.toISOString() };
      } catch (e) {
        if (e instanceof ProblemError && e.status < 500) {
          await deps.db.tx({ tenantId, actor: `system:support:${staff.id}` }, (q) =>
            recordAudit(q, tenantId, supportActor({ staffId: staff.id, staffEmail: staff.email }, req.ip, ua), { action: 'support.session.refused', outcome: 'denied', target: { type: 'support_grant', id: req.body.grant_id }, details: { grant_id: req.body.grant_id, code: e.code } }),
          );
        }
        throw e;
      }
    },
  );

  // ---- the support session ---------------------------------------------------------------

  // Only this module reads the support cookie (the hook is encapsulated in this plugin).
  app.addHook('onRequest', async (req) => {
    const raw = req.cookies[SUPPORT_COOKIE];
    if (!raw || !req.url.startsWith('/api/v1/support/')) return;
    const p = await resolveSupportSession(deps.db, raw, deps.now());
    if (!p) return;
    if (!SAFE.has(req.method) && req.headers[CSRF_HEADER] !== p.csrfToken) throw new ProblemError(403, 'csrf_token_invalid', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
    supportOf.set(req, p);
  });
  // Every request of a support session, answered or refused, goes into the customer's log before the answer leaves.
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    const p = supportOf.get(req);
    if (!p) return payload;
    await deps.db.tx({ tenantId: p.tenantId, actor: `system:support:${p.staffId}` }, (q) =>
      recordAudit(q, p.tenantId, supportActor(p, req.ip, req.headers['user-agent']), {
        action: 'support.request.made',
        outcome: reply.statusCode < 400 ? 'success' : reply.statusCode === 401 || reply.statusCode === 403 ? 'denied' : 'failure',
        target: { type: 'support_grant', id: p.grantId },
        details: { grant_id: p.grantId, session_id: p.sessionId, method: req.method, path: req.routeOptions.url ?? req.url.split('?')[0], status: reply.statusCode },
      }),
    );
    return payload;
  });

  /** The support principal of a request, or 401; with `write`, a read_only grant is 403. */
  function requireSupport(req: FastifyRequest, write = false): SupportPrincipal {
    const p = supportOf.get(req);
    if (!p) throw new ProblemError(401, 'support_unauthenticated', 'Sign in as vendor support under an open grant to use this endpoint.');
    if (write && p.scope !== 'read_write') throw new ProblemError(403, 'support_scope_read_only', 'This support grant is read-only.');
    return p;
  }
  const sctx = (p: SupportPrincipal) => ({ tenantId: p.tenantId, actor: `system:support:${p.staffId}` });

  app.get('/api/v1/support/session', { schema: { tags: ['support'], summary: "The support session: its organisation, grant (ticket, reason), scope, end, and the session's CSRF token (so a reloaded console page can act).", response: { 200: { type: 'object', additionalProperties: false, required: ['tenant_id', 'org', 'org_name', 'grant_id', 'scope', 'expires_at', 'staff_email', 'ticket', 'reason', 'csrf_token'], properties: { tenant_id: { type: 'string' }, org: { type: 'string' }, org_name: { type: 'string' }, grant_id: { type: 'string' }, scope: { type: 'string' }, expires_at: { type: 'string' }, staff_email: { type: 'string' }, ticket: { type: 'string' }, reason: { type: 'string' }, csrf_token: { type: 'string' } } }, ...problems } } }, async (req) => {
    const p = requireSupport(req);
    const g = (await deps.db.tx(sctx(p), (q) => q.query<{ ticket: string; reason: string; slug: string; name: string }>(`SELECT g.ticket, g.reason, t.slug, t.name FROM support_grants g JOIN tenants t ON t.id = g.tenant_id WHERE g.id = $1`, [p.grantId]))).rows[0];
    return { tenant_id: p.tenantId, org: g?.slug ?? '', org_name: g?.name ?? '', grant_id: p.grantId, scope: p.scope, expires_at: p.expiresAt.toISOString(), staff_email: p.staffEmail, ticket: g?.ticket ?? '', reason: g?.reason ?? '', csrf_token: p.csrfToken };
  });

  app.post('/api/v1/support/auth/logout', { schema: { tags: ['support'], summary: 'End the support session.', response: { 204: { type: 'null' }, ...problems } } }, async (req, reply) => {
    const p = requireSupport(req);
    await deps.db.tx(sctx(p), async (q) => {
      await q.query(`UPDATE support_sessions SET ended_at = $2 WHERE id = $1`, [p.sessionId, deps.now()]);
      await recordAudit(q, p.tenantId, supportActor(p, req.ip), { action: 'support.session.ended', outcome: 'success', target: { type: 'support_grant', id: p.grantId }, details: { grant_id: p.grantId, session_id: p.sessionId } });
    });
    reply.clearCookie(SUPPORT_COOKIE, { path: '/' });
    reply.code(204);
  });

  app.get('/api/v1/support/tenant/users', { schema: { tags: ['support'], summary: "Support session (read): the organisation's people, their roles and status.", response: { 200: { type: 'object', additionalProperties: false, required: ['users'], properties: { users: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'email', 'roles', 'status'], properties: { id: { type: 'string' }, email: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, status: { type: 'string' } } } } } }, ...problems } } }, async (req) => {
    const p = requireSupport(req);
    return { users: (await deps.db.tx(sctx(p), (q) => q.query<{ id: string; email: string; roles: string[]; status: string }>(`SELECT id, email, roles, status FROM users ORDER BY email LIMIT 1000`))).rows };
  });

  app.post(
    '/api/v1/support/tenant/users/:id/unlock',
    { schema: { tags: ['support'], summary: "Support session (read_write grants only): clear a person's sign-in delays.", params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } }, response: { 200: { type: 'object', additionalProperties: false, required: ['user_id', 'cleared'], properties: { user_id: { type: 'string' }, cleared: { type: 'integer' } } }, ...problems } } },
    async (req) => {
      const p = requireSupport(req, true);
      const r = await unlockUser(deps.db, p.tenantId, req.params.id, supportActor(p, req.ip, req.headers['user-agent']), { mailer: deps.mailer, by: 'Parapet support' });
      return { user_id: r.userId, cleared: r.cleared };
    },
  );
}
