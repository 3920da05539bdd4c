/**
 * Audit events of the identity domain: users, sessions, MFA, settings and PDP decisions
 * (see platform/audit.ts for the catalogue's rules).
 */
import { declareAuditEvents } from '../platform/audit.js';
import type { Role } from '../platform/principal.js';
import type { SessionState } from './sessions.js';
import type { AuthSettings } from './settings.js';

/** What a PDP decision entry records (auth/pdp.ts). */
export interface AuthzDecisionDetails {
  subject?: string | undefined;
  /** The PDP action asked about. */
  action: string;
  decision: string;
  policies: string[];
}

declare module '../platform/audit.js' {
  interface AuditEvents {
    /** A user created outside SCIM and SSO (the first admin of a new organisation). */
    'auth.user.created': { email: string; roles: Role[] | string[] };
    /**
     * A sign-in (password stage, MFA stage or enrolment); a refused one carries the reason.
     * `state` is the session state the password stage reached.
     */
    'auth.session.opened': { stage: string; state?: SessionState; method?: string; email?: string; reason?: string; retry_after_seconds?: number | undefined };
    'auth.session.closed': Record<string, never>;
    /** Every session of the user ended at their request. */
    'auth.sessions.closed': { ended: number };
    /** Fresh MFA for a sensitive action; a refused one carries the reason. */
    'auth.session.stepped_up': { stage: string; method?: string; reason?: string; retry_after_seconds?: number | undefined };
    /** The password was right; the session now waits for the second factor. */
    'auth.mfa.challenged': { stage: string; state: SessionState };
    'auth.mfa.enrolled': { method: string; credential_id?: string };
    'auth.mfa.removed': { method: string; credential_id?: string };
    'auth.recovery_codes.issued': { count: number };
    'auth.password.rehashed': Record<string, never>;
    'auth.settings.changed': { before: AuthSettings; after: AuthSettings };
    'auth.account.unlocked': { email: string; cleared: number };
    /** A sensitive action the PDP allowed (auth/pdp.ts records the ones worth keeping). */
    'authz.access.allowed': AuthzDecisionDetails;
    /** A request the PDP (or a route's own check) refused. */
    'authz.access.denied':
      | AuthzDecisionDetails
      | { action: string; code: string }
      | { action: string; level: string | undefined; period: string | undefined; category: string | null; policies: string[] };
    'authz.delegation.granted': { category: string; delegation_id: string };
    'authz.delegation.revoked': { category: string; delegation_id: string };
  }
}

declareAuditEvents([
  'auth.user.created',
  'auth.session.opened',
  'auth.session.closed',
  'auth.sessions.closed',
  'auth.session.stepped_up',
  'auth.mfa.challenged',
  'auth.mfa.enrolled',
  'auth.mfa.removed',
  'auth.recovery_codes.issued',
  'auth.password.rehashed',
  'auth.settings.changed',
  'auth.account.unlocked',
  'authz.access.allowed',
  'authz.access.denied',
  'authz.delegation.granted',
  'authz.delegation.revoked',
]);
