/** Audit events of the audit domain itself (see platform/audit.ts for the catalogue's rules). */
import { declareAuditEvents } from '../platform/audit.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    /** The whole log was exported (GET /audit/export). */
    'audit.log.exported': Record<string, never>;
    'audit.settings.changed': { retention_months: { before: number; after: number } };
  }
}

declareAuditEvents(['audit.log.exported', 'audit.settings.changed']);
