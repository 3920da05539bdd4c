import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.js';
import { recordAudit } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { ROLES, type UserPrincipal, actorOf } from '../platform/principal.js';
import { CSRF_HEADER, SESSION_COOKIE, type SessionState, listUserSessions, resolveAnySession, revokeSession, revokeUserSessions, rotateSession, sessionCookieOptions } from './sessions.js';
import { completeSecondFactor, passwordLogin } from './login.js';
import { beginTotpEnrolment, getTotp, issueRecoveryCodes, otpauthUri, remainingRecoveryCodes, verifyUserTotp } from './totp.js';
import { defineActions } from '../platform/pdp.js';
import { getAuthSettings, setAuthSettings } from './settings.js';
import { listWebauthnCredentials, webauthnRoutes } from './webauthn.js';
import { delegationRoutes } from './delegations.js';
import { unlockUser } from './unlock.js';
import { authorizeNewFactor, selfResource } from './self.js';
import { guard, guardUser } from '../platform/guard.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)
import { enqueueSecurityAlert } from './security-alerts.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

defineActions({
  // Self-service on one's own account: every role; the resource is the caller's own user.
  'auth.self.read': { roles: [...ROLES] },
  'auth.self.manage': { roles: [...ROLES] },
  // Removing a factor or re-issuing recovery codes weakens or resets MFA: fresh MFA first.
  'auth.self.mfa.reset': { roles: [...ROLES], stepUp: true },
  // A second (third...) factor is a new way in: only with a fresh verification by an existing one.
  'auth.self.mfa.add': { roles: [...ROLES], stepUp: true },
  'auth.settings.read': { roles: ['admin', 'auditor'] },
  'auth.settings.update': { roles: ['admin'], stepUp: true },
  // Clearing another person's sign-in delays lets guessing resume: admins, with fresh MFA.
  'auth.user.unlock': { roles: ['admin'], stepUp: true },
});

const problem = { $ref: 'Problem#' } as const;
const sessionState = { type: 'string', enum: ['full', 'mfa_pending', 'mfa_enroll'] };
const secondFactorBody = {
  type: 'object',
  additionalProperties: false,
  properties: { code: { type: 'string', minLength: 6, maxLength: 6 }, recovery_code: { type: 'string', minLength: 16, maxLength: 32 } },
} as const;

/**
 * The session behind the cookie in any state (the MFA routes serve half-signed-in sessions).
 * Half sessions are not resolved by the global hook, so the CSRF check is repeated here.
 */
export async function anySession(req: FastifyRequest, deps: AppDeps, states: SessionState[]): Promise<{ principal: UserPrincipal; state: SessionState }> {
  if (req.principal?.kind === 'user' && states.includes('full')) return { principal: req.principal, state: 'full' };
  const raw = req.cookies[SESSION_COOKIE];
  const r = raw ? await resolveAnySession(deps.db, raw) : undefined;
  if (!r || !states.includes(r.state)) throw new ProblemError(401, 'unauthenticated', 'Sign in to use this endpoint.');
  if (req.headers[CSRF_HEADER] !== r.principal.csrfToken) throw new ProblemError(403, 'csrf_token_invalid', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
  return r;
}

/** A completed second factor: the session is full, its cookie and CSRF token rotated. */
export const factorAnswer = {
  type: 'object',
  properties: { state: { type: 'string', description: 'authenticated' }, csrf_token: { type: 'string' }, mfa_verified_at: { type: 'string', format: 'date-time' }, method: { type: 'string' } },
  required: ['state', 'csrf_token', 'mfa_verified_at', 'method'],
  additionalProperties: false,
} as const;

function setCookie(reply: FastifyReply, cookie: string) {
  reply.setCookie(SESSION_COOKIE, cookie, sessionCookieOptions());
}

export async function authRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.get(
    '/api/v1/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, their roles, MFA freshness and CSRF token.',
        response: {
          200: {
            type: 'object',
            properties: {
              tenant_id: { type: 'string' },
              user_id: { type: 'string' },
              email: { type: 'string' },
              roles: { type: 'array', items: { type: 'string' } },
              mfa_verified_at: { type: ['string', 'null'] },
              csrf_token: { type: 'string' },
            },
            required: ['tenant_id', 'user_id', 'email', 'roles', 'mfa_verified_at', 'csrf_token'],
            additionalProperties: false,
          },
          401: problem,
        },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guardUser(req);
      return { tenant_id: p.tenantId, user_id: p.userId, email: p.email, roles: p.roles, mfa_verified_at: p.mfaVerifiedAt?.toISOString() ?? null, csrf_token: p.csrfToken };
    },
  );

  /** The login answer's `state` for the session state the password sign-in made. */
  const LOGIN_STATE = { full: 'authenticated', mfa_pending: 'mfa_required', mfa_enroll: 'mfa_enrollment_required' } as const;
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with organisation slug, email and password. With MFA enrolled the answer is state mfa_required and the session completes at /auth/mfa/verify.',
        body: {
          type: 'object',
          required: ['org', 'email', 'password'],
          additionalProperties: false,
          properties: { org: { type: 'string', minLength: 1, maxLength: 63 }, email: { type: 'string', minLength: 3, maxLength: 320 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              state: { type: 'string', enum: ['authenticated', 'mfa_required', 'mfa_enrollment_required'] },
              tenant_id: { type: 'string' },
              user_id: { type: 'string' },
              csrf_token: { type: 'string' },
            },
            required: ['state', 'tenant_id', 'user_id', 'csrf_token'],
            additionalProperties: false,
          },
          '4xx': problem,
        },
      } as const,
    },
    async (req, reply) => {
      const r = await passwordLogin(deps, { ...req.body, previousCookie: req.cookies[SESSION_COOKIE] }, actorOf(req));
      setCookie(reply, r.cookie);
      return { state: LOGIN_STATE[r.state], tenant_id: r.tenantId, user_id: r.userId, csrf_token: r.csrfToken };
    },
  );

  const factorResponse = {
    200: factorAnswer,
    '4xx': problem,
  } as const;

  app.post(
    '/api/v1/auth/mfa/verify',
    { schema: { tags: ['auth'], summary: 'Second factor of a login (TOTP code or recovery code); the session becomes full and its cookie rotates.', body: secondFactorBody, response: factorResponse } as const },
    async (req, reply) => {
      const { principal: p } = await anySession(req, deps, ['mfa_pending']);
      const r = await completeSecondFactor(deps, p, req.body, actorOf(req), 'login');
      setCookie(reply, r.cookie);
      return { state: 'authenticated', csrf_token: r.csrfToken, mfa_verified_at: r.mfaVerifiedAt.toISOString(), method: r.method };
    },
  );

  app.post(
    '/api/v1/auth/step-up',
    { schema: { tags: ['auth'], summary: 'Fresh MFA verification for step-up actions; the session cookie and CSRF token rotate.', body: secondFactorBody, response: factorResponse } as const },
    async (req, reply) => {
      const { principal: p } = await guardUser(req);
      const r = await completeSecondFactor(deps, p, req.body, actorOf(req), 'step_up');
      setCookie(reply, r.cookie);
      return { state: 'authenticated', csrf_token: r.csrfToken, mfa_verified_at: r.mfaVerifiedAt.toISOString(), method: r.method };
    },
  );

  app.post(
    '/api/v1/auth/mfa/totp/enroll',
    {
      schema: {
        tags: ['auth'],
        summary: 'Start TOTP enrolment: a new secret and its otpauth URI (for a QR code). Confirm with a code.',
        response: { 200: { type: 'object', properties: { secret: { type: 'string' }, otpauth_uri: { type: 'string' } }, required: ['secret', 'otpauth_uri'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req) => {
      const { principal: p, state } = await anySession(req, deps, ['full', 'mfa_enroll']);
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const existing = await getTotp(q, p.userId);
        if (!existing?.confirmed_at) await authorizeNewFactor(q, p, state, deps.now());
        if (existing?.confirmed_at) throw new ProblemError(409, 'totp_already_enrolled', 'An authenticator is already enrolled; remove it first (needs step-up).');
        const secret = await beginTotpEnrolment(q, deps.keys, p.tenantId, p.userId);
        const t = await q.query<{ slug: string }>(`SELECT slug FROM tenants WHERE id = $1`, [p.tenantId]);
        return { secret, otpauth_uri: otpauthUri(secret, `Parapet (${t.rows[0]!.slug})`, p.email) };
      });
    },
  );

  app.post(
    '/api/v1/auth/mfa/totp/confirm',
    {
      schema: {
        tags: ['auth'],
        summary: 'Confirm TOTP enrolment with a current code; answers the one-time recovery codes (shown once).',
        body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', minLength: 6, maxLength: 6 } } },
        response: { 200: { type: 'object', properties: { recovery_codes: { type: 'array', items: { type: 'string' } }, csrf_token: { type: 'string' } }, required: ['recovery_codes', 'csrf_token'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req, reply) => {
      const { principal: p, state } = await anySession(req, deps, ['full', 'mfa_enroll']);
      const out = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const existing = await getTotp(q, p.userId);
        if (!existing || existing.confirmed_at) return { error: new ProblemError(409, 'no_pending_enrolment', 'Start an enrolment first.') };
        // Checked again at confirmation: another factor may have been added since the enrolment began.
        await authorizeNewFactor(q, p, state, deps.now());
        if (!(await verifyUserTotp(q, deps.keys, p.tenantId, p.userId, req.body.code, deps.now(), false))) {
          return { error: new ProblemError(400, 'mfa_code_invalid', 'The code does not match the new authenticator; check the device clock and try again.') };
        }
        const codes = await issueRecoveryCodes(q, p.tenantId, p.userId);
        // Registering a factor is not verifying one: the session's MFA time stays as it was
        // (a step-up needs a verification with a factor the account already had, or this one
        // used afterwards). The session rotates (privilege change) and an enrolment session is full.
        const rot = await rotateSession(q, p.tenantId, p.sessionId, { state: 'full' });
        const actor = { ...actorOf(req), type: 'user' as const, id: p.userId, name: p.email };
        await recordAudit(q, p.tenantId, actor, { action: 'auth.mfa.enrolled', outcome: 'success', target: { type: 'user', id: p.userId }, details: { method: 'totp' } });
        await enqueueSecurityAlert(q, p.tenantId, deps.mailer, { kind: 'mfa_added', userId: p.userId, at: deps.now().toISOString(), ip: req.ip, details: { method: 'totp' } });
        await recordAudit(q, p.tenantId, actor, { action: 'auth.recovery_codes.issued', outcome: 'success', target: { type: 'user', id: p.userId }, details: { count: codes.length } });
        if (state === 'mfa_enroll') await recordAudit(q, p.tenantId, actor, { action: 'auth.session.opened', outcome: 'success', target: { type: 'session', id: p.sessionId }, details: { stage: 'mfa_enrolment', method: 'totp' } });
        return { ok: { codes, rot } };
      });
      if ('error' in out) throw out.error;
      setCookie(reply, out.ok!.rot.cookie);
      return { recovery_codes: out.ok!.codes, csrf_token: out.ok!.rot.csrfToken };
    },
  );

  app.delete(
    '/api/v1/auth/mfa/totp',
    { schema: { tags: ['auth'], summary: 'Remove the TOTP authenticator and recovery codes (needs step-up).', response: { 204: { type: 'null' }, '4xx': problem } } as const },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'auth.self.mfa.reset', selfResource);
      await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        if ((await getAuthSettings(q, p.tenantId)).mfaRequired) throw new ProblemError(409, 'mfa_required_by_tenant', 'Your organisation requires MFA; enrol another factor instead of removing this one.');
        await q.query(`DELETE FROM mfa_totp WHERE user_id = $1`, [p.userId]);
        await q.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [p.userId]);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.mfa.removed', outcome: 'success', target: { type: 'user', id: p.userId }, details: { method: 'totp' } });
        await enqueueSecurityAlert(q, p.tenantId, deps.mailer, { kind: 'mfa_removed', userId: p.userId, at: deps.now().toISOString(), ip: req.ip, details: { method: 'totp' } });
      });
      reply.code(204);
    },
  );

  app.post(
    '/api/v1/auth/mfa/recovery-codes',
    { schema: { tags: ['auth'], summary: 'Issue new recovery codes, voiding the old ones (needs step-up).', response: { 200: { type: 'object', properties: { recovery_codes: { type: 'array', items: { type: 'string' } } }, required: ['recovery_codes'], additionalProperties: false }, '4xx': problem } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'auth.self.mfa.reset', selfResource);
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        if (!(await getTotp(q, p.userId))?.confirmed_at) throw new ProblemError(409, 'no_mfa', 'Enrol an authenticator before asking for recovery codes.');
        const codes = await issueRecoveryCodes(q, p.tenantId, p.userId);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.recovery_codes.issued', outcome: 'success', target: { type: 'user', id: p.userId }, details: { count: codes.length } });
        await enqueueSecurityAlert(q, p.tenantId, deps.mailer, { kind: 'recovery_codes_issued', userId: p.userId, at: deps.now().toISOString(), ip: req.ip });
        return { recovery_codes: codes };
      });
    },
  );

  app.get(
    '/api/v1/auth/mfa',
    {
      schema: {
        tags: ['auth'],
        summary: 'My MFA factors.',
        response: {
          200: {
            type: 'object',
            properties: {
              factors: {
                type: 'array',
                items: {
                  anyOf: [
                    {
                      type: 'object',
                      properties: { type: { type: 'string', enum: ['totp'] }, created_at: { type: 'string' }, confirmed_at: { type: ['string', 'null'] } },
                      required: ['type', 'created_at', 'confirmed_at'],
                      additionalProperties: false,
                    },
                    {
                      type: 'object',
                      properties: { type: { type: 'string', enum: ['webauthn'] }, id: { type: 'string' }, name: { type: 'string' }, created_at: { type: 'string' }, confirmed_at: { type: 'string' }, last_used_at: { type: ['string', 'null'] } },
                      required: ['type', 'id', 'name', 'created_at', 'confirmed_at', 'last_used_at'],
                      additionalProperties: false,
                    },
                  ],
                },
              },
              recovery_codes_remaining: { type: 'integer' },
            },
            required: ['factors', 'recovery_codes_remaining'],
            additionalProperties: false,
          },
          '4xx': problem,
        },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'auth.self.read', selfResource);
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const t = await q.query<{ created_at: Date; confirmed_at: Date | null }>(`SELECT created_at, confirmed_at FROM mfa_totp WHERE user_id = $1`, [p.userId]);
        const w = await listWebauthnCredentials(q, p.userId);
        return {
          factors: [
            ...t.rows.map((r) => ({ type: 'totp' as const, created_at: r.created_at.toISOString(), confirmed_at: r.confirmed_at?.toISOString() ?? null })),
            ...w.map((c) => ({ type: 'webauthn' as const, id: c.id, name: c.name, created_at: c.created_at.toISOString(), confirmed_at: c.created_at.toISOString(), last_used_at: c.last_used_at?.toISOString() ?? null })),
          ],
          recovery_codes_remaining: await remainingRecoveryCodes(q, p.userId),
        };
      });
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      schema: {
        tags: ['auth'],
        summary: 'My signed-in sessions.',
        response: {
          200: {
            type: 'object',
            properties: {
              sessions: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { id: { type: 'string' }, current: { type: 'boolean' }, created_at: { type: 'string' }, last_seen_at: { type: 'string' }, expires_at: { type: 'string' }, ip: { type: ['string', 'null'] }, user_agent: { type: ['string', 'null'] } },
                  required: ['id', 'current', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent'],
                  additionalProperties: false,
                },
              },
            },
            required: ['sessions'],
            additionalProperties: false,
          },
          '4xx': problem,
        },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'auth.self.read', selfResource);
      const rows = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) => listUserSessions(q, p.userId));
      return {
        sessions: rows.map((r) => ({ id: r.id, current: r.id === p.sessionId, created_at: r.created_at.toISOString(), last_seen_at: r.last_seen_at.toISOString(), expires_at: r.expires_at.toISOString(), ip: r.ip, user_agent: r.user_agent })),
      };
    },
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['auth'], summary: 'End this session.', response: { 204: { type: 'null' }, '4xx': problem } } as const }, async (req, reply) => {
    await guardUser(req, async (q, p) => {
      await revokeSession(q, p.sessionId);
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.session.closed', outcome: 'success', target: { type: 'session', id: p.sessionId } });
    });
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions());
    reply.code(204);
  });

  app.post(
    '/api/v1/auth/logout-all',
    { schema: { tags: ['auth'], summary: 'Sign out everywhere: end every session of the signed-in user.', response: { 200: { type: 'object', properties: { ended: { type: 'integer' } }, required: ['ended'], additionalProperties: false }, '4xx': problem } } as const },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'auth.self.manage', selfResource);
      const ended = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const n = await revokeUserSessions(q, p.userId);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.sessions.closed', outcome: 'success', target: { type: 'user', id: p.userId }, details: { ended: n } });
        return n;
      });
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions());
      return { ended };
    },
  );

  const settingsSchema = {
    type: 'object',
    properties: { step_up_max_age_seconds: { type: 'integer', minimum: 30, maximum: 86_400 }, mfa_required: { type: 'boolean' } },
  } as const;
  const settingsView = { ...settingsSchema, required: ['step_up_max_age_seconds', 'mfa_required'], additionalProperties: false } as const;
  app.get('/api/v1/auth/settings', { schema: { tags: ['auth'], summary: "The organisation's sign-in settings.", response: { 200: settingsView, '4xx': problem } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'auth.settings.read', (p) => ({ type: 'tenant', id: p.tenantId }));
    const s = await deps.db.tx({ tenantId: p.tenantId }, (q) => getAuthSettings(q, p.tenantId));
    return { step_up_max_age_seconds: s.stepUpMaxAgeSeconds, mfa_required: s.mfaRequired };
  });
  app.put(
    '/api/v1/auth/settings',
    { schema: { tags: ['auth'], summary: 'Change the step-up age and whether MFA is required for everyone (admin, step-up).', body: { ...settingsSchema, additionalProperties: false }, response: { 200: settingsView, '4xx': problem } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'auth.settings.update', (p) => ({ type: 'tenant', id: p.tenantId }));
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const cur = await getAuthSettings(q, p.tenantId);
        const next = { stepUpMaxAgeSeconds: req.body.step_up_max_age_seconds ?? cur.stepUpMaxAgeSeconds, mfaRequired: req.body.mfa_required ?? cur.mfaRequired };
        await setAuthSettings(q, p.tenantId, next);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.settings.changed', outcome: 'success', target: { type: 'tenant', id: p.tenantId }, details: { before: cur, after: next } });
        return { step_up_max_age_seconds: next.stepUpMaxAgeSeconds, mfa_required: next.mfaRequired };
      });
    },
  );

  app.post(
    '/api/v1/auth/users/:id/unlock',
    {
      schema: {
        tags: ['auth'],
        summary: "Clear a person's sign-in delays (password and second factor, from every address). Admin, step-up; audited.",
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: { type: 'object', properties: { user_id: { type: 'string' }, email: { type: 'string' }, cleared: { type: 'integer' } }, required: ['user_id', 'email', 'cleared'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'auth.user.unlock', { type: 'user', id: req.params.id });
      const r = await unlockUser(deps.db, p.tenantId, req.params.id, actorOf(req), { mailer: deps.mailer, by: p.email });
      return { user_id: r.userId, email: r.email, cleared: r.cleared };
    },
  );

  await webauthnRoutes(parent, deps);
  await delegationRoutes(parent, deps);
}
