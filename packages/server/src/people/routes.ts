/**
 * People: the directory the console's People page shows (with who manages each person's
 * roles), invitations (a one-time link, no mail server) and locally managed roles. The
 * rules live in service.ts; every route reads and writes under the caller's tenant (RLS).
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { ROLES, actorOf } from '../platform/principal.js';
import { defineActions } from '../platform/pdp.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth/index.js';
import { recordAudit } from '../platform/audit.js';
import { enqueueSecurityAlert } from '../auth/index.js';
import { invitationText } from '../mail/messages.js';
import { INVITATION_MAX_SECONDS, INVITATION_MIN_SECONDS, acceptInvitation, createInvitation, listInvitations, lookupInvitation, revokeInvitation, rolesManagedBy, setUserRoles } from './service.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'people.list': { roles: ['admin', 'security_lead', 'auditor'] },
  // Inviting grants roles, so it is as strong as changing them: admin with fresh MFA.
  'people.invite': { roles: ['admin'], stepUp: true, sensitive: true },
  'people.invitations.read': { roles: ['admin', 'auditor'] },
  'people.roles.manage': { roles: ['admin'], stepUp: true, sensitive: true },
});

const problem = { $ref: 'Problem#' } as const;
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const rolesSchema = { type: 'array', maxItems: ROLES.length, items: { type: 'string', enum: [...ROLES] } } as const;
const invitationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, email: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, created_at: { type: 'string' },
    expires_at: { type: 'string' }, accepted_at: { type: ['string', 'null'] }, revoked_at: { type: ['string', 'null'] }, status: { type: 'string', enum: ['open', 'accepted', 'expired', 'revoked'] },
  },
  required: ['id', 'email', 'roles', 'created_at', 'expires_at', 'accepted_at', 'revoked_at', 'status'],
  additionalProperties: false,
} as const;
const tokenSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

/** Mails an invitation link; never throws (the relay's refusal comes back as `error`). */
async function mailInvitation(deps: AppDeps, tenantId: string, inviter: string, inv: { email: string; roles: string[]; expires_at: string }, link: string): Promise<{ ok: true; messageId: string } | { ok: false; error: string }> {
  try {
    const t = await deps.db.tx({ tenantId }, (q) => q.query<{ name: string; slug: string }>(`SELECT name, slug FROM tenants WHERE id = $1`, [tenantId]));
    const org = t.rows[0]!;
    const sent = await deps.mailer!.send({
      to: inv.email,
      subject: `You are invited to ${org.name} on Parapet`,
      text: invitationText({ org: org.name, slug: org.slug, inviter, roles: inv.roles, expiresAt: inv.expires_at, link }),
    });
    return { ok: true, messageId: sent.messageId };
  } catch (e) {
    return { ok: false, error: `The mail relay did not take the message: ${(e as Error).message}`.slice(0, 500) };
  }
}

/** Where an invitation link points: PARAPET_PUBLIC_URL when set, else the origin the admin used. */
function consoleOrigin(host: string | undefined): string {
  return (process.env.PARAPET_PUBLIC_URL || `https://${host ?? 'localhost'}`).replace(/\/+$/, '');
}

/** A tenant's directory is small; beyond this the API would need paging. */
export const PEOPLE_LIST_MAX = 5000;

export async function peopleRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.get(
    '/api/v1/people',
    {
      schema: {
        tags: ['people'],
        summary: "The organisation's people: email, name, roles and status (admin, security lead, auditor).",
        response: {
          200: {
            type: 'object',
            properties: {
              people: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    email: { type: 'string' },
                    display_name: { type: 'string' },
                    roles: { type: 'array', items: { type: 'string' } },
                    status: { type: 'string' },
                    created_at: { type: 'string' },
                    roles_managed_by: { type: ['string', 'null'], enum: ['sso', 'scim', null] },
                  },
                  required: ['id', 'email', 'display_name', 'roles', 'status', 'created_at', 'roles_managed_by'],
                  additionalProperties: false,
                },
              },
              truncated: { type: 'boolean' },
            },
            required: ['people', 'truncated'],
            additionalProperties: false,
          },
          '4xx': { $ref: 'Problem#' },
        },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'people.list', { type: 'people' });
      const { rows, managed } = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}`, purpose: 'people.list' }, async (q) => ({
        rows: (await q.query<{ id: string; email: string; display_name: string; roles: string[]; status: string; created_at: Date }>(
          `SELECT id, email, display_name, roles, status, created_at FROM users ORDER BY email LIMIT $1`,
          [PEOPLE_LIST_MAX + 1],
        )).rows,
        managed: await rolesManagedBy(q),
      }));
      return {
        people: rows.slice(0, PEOPLE_LIST_MAX).map((r) => ({ ...r, created_at: r.created_at.toISOString(), roles_managed_by: managed.get(r.id) ?? null })),
        truncated: rows.length > PEOPLE_LIST_MAX,
      };
    },
  );

  app.put(
    '/api/v1/people/:id/roles',
    {
      schema: {
        tags: ['people'],
        summary: "Set a person's roles (admin, step-up). Not your own; not removing the last admin; not roles an identity provider manages.",
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } },
        body: { type: 'object', required: ['roles'], additionalProperties: false, properties: { roles: rolesSchema } },
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, previous_roles: { type: 'array', items: { type: 'string' } } }, required: ['id', 'email', 'roles', 'previous_roles'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'people.roles.manage', { type: 'user', id: req.params.id });
      const actor = { ...actorOf(req), type: 'user' as const };
      const r = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const change = await setUserRoles(q, p.tenantId, actor, req.params.id, req.body.roles);
        if (change.from.join() !== change.to.join()) {
          await enqueueSecurityAlert(q, p.tenantId, deps.mailer, { kind: 'roles_changed', userId: change.userId, at: deps.now().toISOString(), by: p.email, details: { from: change.from, to: change.to } });
        }
        return change;
      });
      return { id: r.userId, email: r.email, roles: r.to, previous_roles: r.from };
    },
  );

  app.get('/api/v1/people/invitations', { schema: { tags: ['people'], summary: 'Invitations, newest first (admin, auditor). Tokens are never shown again.', response: { 200: { type: 'object', properties: { invitations: { type: 'array', items: invitationSchema } }, required: ['invitations'], additionalProperties: false }, '4xx': problem } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'people.invitations.read', { type: 'invitation' });
    return { invitations: await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) => listInvitations(q, deps.now())) };
  });

  app.post(
    '/api/v1/people/invitations',
    {
      schema: {
        tags: ['people'],
        summary: 'Invite someone (admin, step-up). Without a mail relay: answers a one-time link, shown only in this answer, to pass on. With PARAPET_SMTP_URL: mails the link to the invitee and answers emailed_to (or the link and email_error if the relay failed).',
        body: {
          type: 'object', required: ['email'], additionalProperties: false,
          properties: { email: { type: 'string', minLength: 3, maxLength: 320 }, roles: rolesSchema, expires_in_seconds: { type: 'integer', minimum: INVITATION_MIN_SECONDS, maximum: INVITATION_MAX_SECONDS } },
        },
        // token and link when the link is the admin's to pass on; emailed_to when it was mailed; email_error when mailing failed.
        response: { 201: { type: 'object', properties: { invitation: invitationSchema, token: { type: 'string' }, link: { type: 'string' }, emailed_to: { type: 'string' }, email_error: { type: 'string' } }, required: ['invitation'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'people.invite', { type: 'invitation' });
      const actor = { ...actorOf(req), type: 'user' as const };
      const r = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) =>
        createInvitation(q, p.tenantId, actor, { email: req.body.email, roles: req.body.roles ?? [], expiresInSeconds: req.body.expires_in_seconds }, deps.now()),
      );
      reply.code(201).header('cache-control', 'no-store');
      // The token rides in the fragment, which browsers never send to a server or in a Referer.
      const link = `${consoleOrigin(req.headers.host)}/invite#${r.token}`;
      if (!deps.mailer) return { invitation: r.invitation, token: r.token, link };
      // With a mail relay the link goes only to the invitee's mailbox; if the relay fails, the
      // admin gets the link to pass on, as without one. Either way the attempt is audited.
      const sent = await mailInvitation(deps, p.tenantId, p.email, r.invitation, link);
      await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) =>
        recordAudit(q, p.tenantId, actor, {
          action: 'people.invitation.emailed', outcome: sent.ok ? 'success' : 'failure', target: { type: 'invitation', id: r.invitation.id },
          details: sent.ok ? { email: r.invitation.email, message_id: sent.messageId } : { email: r.invitation.email, error: sent.error },
        }),
      );
      return sent.ok ? { invitation: r.invitation, emailed_to: r.invitation.email } : { invitation: r.invitation, token: r.token, link, email_error: sent.error };
    },
  );

  app.delete(
    '/api/v1/people/invitations/:id',
    { schema: { tags: ['people'], summary: 'Revoke an open invitation (admin, step-up).', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } }, response: { 204: { type: 'null' }, '4xx': problem } } as const },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'people.invite', { type: 'invitation', id: req.params.id });
      await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) => revokeInvitation(q, p.tenantId, actorOf(req), req.params.id, deps.now()));
      reply.code(204);
    },
  );

  // Pre-auth: the link's token is the credential.
  app.post(
    '/api/v1/invitations/lookup',
    {
      schema: {
        tags: ['people'],
        summary: 'What an invitation is for (organisation, email, roles, expiry); 410 when it cannot be used.',
        body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: tokenSchema } },
        response: { 200: { type: 'object', properties: { org_name: { type: 'string' }, org_slug: { type: 'string' }, email: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, expires_at: { type: 'string' } }, required: ['org_name', 'org_slug', 'email', 'roles', 'expires_at'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req) => lookupInvitation(deps.db, req.body.token, deps.now()),
  );

  app.post(
    '/api/v1/invitations/accept',
    {
      schema: {
        tags: ['people'],
        summary: 'Accept an invitation: set a password; the answer opens a session (state mfa_enrollment_required for admins, security leads, or when the organisation requires MFA).',
        body: {
          type: 'object', required: ['token', 'password'], additionalProperties: false,
          properties: { token: tokenSchema, password: { type: 'string', minLength: 1, maxLength: 1024 }, display_name: { type: 'string', maxLength: 200 } },
        },
        response: { 200: { type: 'object', properties: { state: { type: 'string', description: 'authenticated or mfa_enrollment_required' }, tenant_id: { type: 'string' }, user_id: { type: 'string' }, org_slug: { type: 'string' }, email: { type: 'string' }, csrf_token: { type: 'string' } }, required: ['state', 'tenant_id', 'user_id', 'org_slug', 'email', 'csrf_token'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req, reply) => {
      const r = await acceptInvitation(deps.db, req.body.token, req.body.password, req.body.display_name, actorOf(req), deps.now());
      reply.setCookie(SESSION_COOKIE, r.cookie, sessionCookieOptions());
      return { state: r.state === 'full' ? 'authenticated' : 'mfa_enrollment_required', tenant_id: r.tenantId, user_id: r.userId, org_slug: r.orgSlug, email: r.email, csrf_token: r.csrfToken };
    },
  );
}
