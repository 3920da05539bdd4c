/** Audit events of SCIM directory sync (CORE-SCIM; see platform/audit.ts for the rules). */
import { declareAuditEvents } from '../platform/audit.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    'scim.token.created': { name: string };
    'scim.token.revoked': Record<string, never>;
    /** A request with a missing or wrong bearer token. */
    'scim.auth.failed': { path: string | undefined };
    'scim.user.created': { userName: string; restored?: boolean; active?: boolean; externalId?: string | null; manager_id?: string | null };
    'scim.user.updated': { via: 'patch' | 'put'; changed: string[] };
    'scim.user.deactivated': { via: string; sessions_revoked: number; hooks?: Record<string, unknown> | undefined };
    'scim.user.deleted': Record<string, never>;
    'scim.group.created': { displayName: string; members: number };
    'scim.group.updated': { via: 'patch' | 'put'; displayName: string; added: string[]; removed: string[] };
    'scim.group.deleted': Record<string, never>;
    /** A request the SCIM endpoint refused as malformed or not allowed. */
    'scim.request.rejected': { method: string; path: string | undefined; error: string };
  }
}

declareAuditEvents([
  'scim.token.created',
  'scim.token.revoked',
  'scim.auth.failed',
  'scim.user.created',
  'scim.user.updated',
  'scim.user.deactivated',
  'scim.user.deleted',
  'scim.group.created',
  'scim.group.updated',
  'scim.group.deleted',
  'scim.request.rejected',
]);
