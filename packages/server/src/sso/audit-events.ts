/** Audit events of OIDC single sign-on (CORE-SSO; see platform/audit.ts for the rules). */
import { declareAuditEvents } from '../platform/audit.js';
import type { Role } from '../platform/principal.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    'sso.config.updated': { preset: string; issuer: string; client_id: string; secret_changed: boolean; group_roles: Record<string, Role[]> };
    'sso.config.deleted': Record<string, never>;
    /** A sign-in through the identity provider finished (a failed one carries the problem code). */
    'sso.login.completed': { issuer: string; sub: string; provisioned: boolean; roles: Role[] };
    'sso.user.provisioned': { email: string; roles: Role[]; issuer: string; sub: string };
    'sso.roles.changed': { from: Role[]; to: Role[]; groups: unknown };
  }
}

declareAuditEvents(['sso.config.updated', 'sso.config.deleted', 'sso.login.completed', 'sso.user.provisioned', 'sso.roles.changed']);
