/**
 * WebAuthn passkeys and security keys (CORE-MFA) with @simplewebauthn/server: registration
 * and authentication ceremonies. Challenges are stored per session, single use, 5 minutes.
 * Authentication is a second factor (completes an mfa_pending login) or a step-up.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { recordAudit } from '../platform/audit.js';
import { enqueueSecurityAlert } from './security-alerts.js';
import { ProblemError } from '../http/problem.js';
import { type ApiTypeProvider, webauthnAssertion, webauthnRegistration } from '../http/type-provider.js';
import { actorOf } from '../platform/principal.js';
import { guard } from '../platform/guard.js';
import { completeSecondFactor } from './login.js';
import { rotateSession, SESSION_COOKIE, sessionCookieOptions } from './sessions.js';
import { issueRecoveryCodes, remainingRecoveryCodes } from './totp.js';
import { anySession, factorAnswer } from './routes.js';
import { authorizeNewFactor, selfResource } from './self.js';

let lib: Promise<typeof import('@simplewebauthn/server')> | undefined;
/**
 * @simplewebauthn/server, loaded with the first WebAuthn ceremony: it brings @peculiar/x509
 * and its ASN.1 schemas, a tenth of a start that never needs them (bench/startup).
 */
export function webauthnLib(): Promise<typeof import('@simplewebauthn/server')> {
  return (lib ??= import('@simplewebauthn/server'));
}

const CHALLENGE_SECONDS = 5 * 60;

/**
 * The relying party: PARAPET_PUBLIC_URL when set (production), else the Host the client used.
 * A browser only offers a credential to pages of its RP ID, so a forged Host cannot reuse one.
 */
export function relyingParty(req: FastifyRequest): { rpID: string; origin: string } {
  const u = new URL(process.env.PARAPET_PUBLIC_URL || `https://${req.headers.host ?? 'localhost'}`);
  return { rpID: u.hostname.replace(/^\[|\]$/g, ''), origin: u.origin };
}

async function putChallenge(q: Queryable, tenantId: string, sessionId: string, kind: 'register' | 'authenticate', challenge: string) {
  await q.query(
    `INSERT INTO webauthn_challenges (tenant_id, session_id, kind, challenge, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
     ON CONFLICT (tenant_id, session_id, kind) DO UPDATE SET challenge = EXCLUDED.challenge, expires_at = EXCLUDED.expires_at`,
    [tenantId, sessionId, kind, challenge, CHALLENGE_SECONDS],
  );
}

async function takeChallenge(q: Queryable, sessionId: string, kind: 'register' | 'authenticate'): Promise<string | undefined> {
  const { rows } = await q.query<{ challenge: string; live: boolean }>(`DELETE FROM webauthn_challenges WHERE session_id = $1 AND kind = $2 RETURNING challenge, expires_at > now() AS live`, [sessionId, kind]);
  return rows[0]?.live ? rows[0].challenge : undefined;
}

interface CredRow {
  credential_id: string;
  public_key: Buffer;
  sign_count: number;
  transports: string[];
}
const credentials = async (q: Queryable, userId: string) =>
  (await q.query<CredRow & { id: string; name: string; created_at: Date; last_used_at: Date | null }>(`SELECT id, credential_id, public_key, sign_count, transports, name, created_at, last_used_at FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at`, [userId])).rows;

const problem = { $ref: 'Problem#' } as const;
const transports = { type: 'array', items: { type: 'string' } } as const;
const credentialDescriptor = {
  type: 'object',
  properties: { id: { type: 'string' }, type: { type: 'string', enum: ['public-key'] }, transports },
  required: ['id', 'type'],
  additionalProperties: false,
} as const;
/**
 * Client extension inputs (WebAuthn §9): an open registry of names, passed to the browser as
 * generated, so the object stays free-form.
 */
const extensions = { title: 'WebAuthn client extension inputs', type: 'object', additionalProperties: true } as const;
/** PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3 §5.4), as @simplewebauthn/server makes it. */
export const creationOptions = {
  title: 'WebAuthn PublicKeyCredentialCreationOptionsJSON',
  type: 'object',
  properties: {
    rp: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['name'], additionalProperties: false },
    user: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, displayName: { type: 'string' } }, required: ['id', 'name', 'displayName'], additionalProperties: false },
    challenge: { type: 'string' },
    pubKeyCredParams: { type: 'array', items: { type: 'object', properties: { alg: { type: 'integer' }, type: { type: 'string', enum: ['public-key'] } }, required: ['alg', 'type'], additionalProperties: false } },
    timeout: { type: 'integer' },
    excludeCredentials: { type: 'array', items: credentialDescriptor },
    authenticatorSelection: {
      type: 'object',
      properties: { authenticatorAttachment: { type: 'string' }, residentKey: { type: 'string' }, requireResidentKey: { type: 'boolean' }, userVerification: { type: 'string' } },
      required: [],
      additionalProperties: false,
    },
    hints: { type: 'array', items: { type: 'string' } },
    attestation: { type: 'string' },
    attestationFormats: { type: 'array', items: { type: 'string' } },
    extensions,
  },
  required: ['rp', 'user', 'challenge', 'pubKeyCredParams'],
  additionalProperties: false,
} as const;
/** PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3 §5.5). */
export const requestOptions = {
  title: 'WebAuthn PublicKeyCredentialRequestOptionsJSON',
  type: 'object',
  properties: {
    challenge: { type: 'string' },
    timeout: { type: 'integer' },
    rpId: { type: 'string' },
    allowCredentials: { type: 'array', items: credentialDescriptor },
    userVerification: { type: 'string' },
    hints: { type: 'array', items: { type: 'string' } },
    extensions,
  },
  required: ['challenge'],
  additionalProperties: false,
} as const;

export async function webauthnRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.post(
    '/api/v1/auth/webauthn/register/options',
    { schema: { tags: ['auth'], summary: 'Options for registering a passkey or security key (navigator.credentials.create).', response: { 200: creationOptions, '4xx': problem } } },
    async (req) => {
      const { principal: p, state } = await anySession(req, deps, ['full', 'mfa_enroll']);
      const { rpID } = relyingParty(req);
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        await authorizeNewFactor(q, p, state, deps.now());
        const existing = await credentials(q, p.userId);
        const options = await (await webauthnLib()).generateRegistrationOptions({
          rpName: 'Parapet',
          rpID,
          userName: p.email,
          userID: new TextEncoder().encode(p.userId),
          attestationType: 'none',
          excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
          authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        });
        await putChallenge(q, p.tenantId, p.sessionId, 'register', options.challenge);
        return options;
      });
    },
  );

  app.post(
    '/api/v1/auth/webauthn/register/verify',
    {
      schema: {
        tags: ['auth'],
        summary: 'Verify a registration and store the credential; answers recovery codes when the user had none.',
        body: { type: 'object', required: ['response'], additionalProperties: false, properties: { response: webauthnRegistration, name: { type: 'string', maxLength: 200 } } },
        // recovery_codes only with the account's first factor.
        response: { 200: { type: 'object', properties: { credential_id: { type: 'string' }, recovery_codes: { type: 'array', items: { type: 'string' } }, csrf_token: { type: 'string' } }, required: ['credential_id', 'csrf_token'], additionalProperties: false }, '4xx': problem },
      },
    },
    async (req, reply) => {
      const { principal: p, state } = await anySession(req, deps, ['full', 'mfa_enroll']);
      const { rpID, origin } = relyingParty(req);
      const out = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        // Checked at verification too: the options may predate another factor.
        await authorizeNewFactor(q, p, state, deps.now());
        const challenge = await takeChallenge(q, p.sessionId, 'register');
        if (!challenge) return { error: new ProblemError(400, 'webauthn_challenge_missing', 'Ask for registration options first (they expire after 5 minutes).') };
        let v;
        try {
          v = await (await webauthnLib()).verifyRegistrationResponse({ response: req.body.response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false });
        } catch (e) {
          return { error: new ProblemError(400, 'webauthn_invalid', `The authenticator's answer did not verify: ${(e as Error).message}`) };
        }
        if (!v.verified) return { error: new ProblemError(400, 'webauthn_invalid', "The authenticator's answer did not verify.") };
        const c = v.registrationInfo.credential;
        await q.query(
          `INSERT INTO webauthn_credentials (tenant_id, user_id, credential_id, public_key, sign_count, transports, name) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [p.tenantId, p.userId, c.id, Buffer.from(c.publicKey), c.counter, c.transports ?? [], req.body.name ?? ''],
        );
        const codes = (await remainingRecoveryCodes(q, p.userId)) === 0 ? await issueRecoveryCodes(q, p.tenantId, p.userId) : undefined;
        // Registration is not a verification: the MFA time is untouched (see authorizeNewFactor).
        const rot = await rotateSession(q, p.tenantId, p.sessionId, { state: 'full' });
        const actor = { ...actorOf(req), type: 'user' as const, id: p.userId, name: p.email };
        await recordAudit(q, p.tenantId, actor, { action: 'auth.mfa.enrolled', outcome: 'success', target: { type: 'user', id: p.userId }, details: { method: 'webauthn', credential_id: c.id } });
        await enqueueSecurityAlert(q, p.tenantId, deps.mailer, { kind: 'mfa_added', userId: p.userId, at: deps.now().toISOString(), ip: req.ip, details: { method: 'webauthn' } });
        if (codes) await recordAudit(q, p.tenantId, actor, { action: 'auth.recovery_codes.issued', outcome: 'success', target: { type: 'user', id: p.userId }, details: { count: codes.length } });
        return { ok: { id: c.id, codes, rot } };
      });
      if ('error' in out) throw out.error;
      reply.setCookie(SESSION_COOKIE, out.ok!.rot.cookie, sessionCookieOptions());
      return { credential_id: out.ok!.id, ...(out.ok!.codes ? { recovery_codes: out.ok!.codes } : {}), csrf_token: out.ok!.rot.csrfToken };
    },
  );

  app.post(
    '/api/v1/auth/webauthn/authenticate/options',
    { schema: { tags: ['auth'], summary: 'Options for a WebAuthn assertion (second factor of a login, or step-up).', response: { 200: requestOptions, '4xx': problem } } },
    async (req) => {
      const { principal: p } = await anySession(req, deps, ['full', 'mfa_pending']);
      const { rpID } = relyingParty(req);
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const creds = await credentials(q, p.userId);
        if (!creds.length) throw new ProblemError(409, 'no_webauthn_credentials', 'Register a passkey or security key first.');
        const options = await (await webauthnLib()).generateAuthenticationOptions({ rpID, allowCredentials: creds.map((c) => ({ id: c.credential_id, transports: c.transports })), userVerification: 'preferred' });
        await putChallenge(q, p.tenantId, p.sessionId, 'authenticate', options.challenge);
        return options;
      });
    },
  );

  app.post(
    '/api/v1/auth/webauthn/authenticate/verify',
    {
      schema: {
        tags: ['auth'],
        summary: 'Verify a WebAuthn assertion: completes a pending login or is a step-up; the session cookie rotates.',
        body: { type: 'object', required: ['response'], additionalProperties: false, properties: { response: webauthnAssertion } },
        response: { 200: factorAnswer, '4xx': problem },
      },
    },
    async (req, reply) => {
      const { principal: p, state } = await anySession(req, deps, ['full', 'mfa_pending']);
      const { rpID, origin } = relyingParty(req);
      const response = req.body.response;
      const r = await completeSecondFactor(
        deps,
        p,
        async (q) => {
          const challenge = await takeChallenge(q, p.sessionId, 'authenticate');
          const cred = (await credentials(q, p.userId)).find((c) => c.credential_id === response.id);
          if (!challenge || !cred) return undefined;
          try {
            const v = await (await webauthnLib()).verifyAuthenticationResponse({
              response,
              expectedChallenge: challenge,
              expectedOrigin: origin,
              expectedRPID: rpID,
              credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: cred.sign_count, transports: cred.transports as never },
              requireUserVerification: false,
            });
            if (!v.verified) return undefined;
            await q.query(`UPDATE webauthn_credentials SET sign_count = $2, last_used_at = now() WHERE credential_id = $1`, [cred.credential_id, v.authenticationInfo.newCounter]);
            return 'webauthn';
          } catch {
            return undefined; // wrong signature, origin, RP, challenge, or a cloned key (counter went back)
          }
        },
        actorOf(req),
        state === 'full' ? 'step_up' : 'login',
      );
      reply.setCookie(SESSION_COOKIE, r.cookie, sessionCookieOptions());
      return { state: 'authenticated', csrf_token: r.csrfToken, mfa_verified_at: r.mfaVerifiedAt.toISOString(), method: r.method };
    },
  );

  app.delete(
    '/api/v1/auth/webauthn/credentials/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Remove one of my passkeys or security keys (needs step-up).',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } } },
        response: { 204: { type: 'null' }, '4xx': problem },
      },
    },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'auth.self.mfa.reset', selfResource);
      await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const { rows } = await q.query<{ credential_id: string }>(`DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2 RETURNING credential_id`, [req.params.id, p.userId]);
        if (!rows[0]) throw new ProblemError(404, 'credential_not_found', 'You have no such credential.');
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.mfa.removed', outcome: 'success', target: { type: 'user', id: p.userId }, details: { method: 'webauthn', credential_id: rows[0].credential_id } });
        await enqueueSecurityAlert(q, p.tenantId, deps.mailer, { kind: 'mfa_removed', userId: p.userId, at: deps.now().toISOString(), ip: req.ip, details: { method: 'webauthn' } });
      });
      reply.code(204);
    },
  );
}

export { credentials as listWebauthnCredentials };
