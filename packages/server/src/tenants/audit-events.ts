/** Audit events of the tenants domain (see platform/audit.ts for the catalogue's rules). */
import { declareAuditEvents } from '../platform/audit.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    'tenant.created': { slug: string; name: string };
  }
}

declareAuditEvents(['tenant.created']);
