/** Audit events of key management (see platform/audit.ts for the catalogue's rules). */
import { declareAuditEvents } from '../platform/audit.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    /** Sealed values of one tenant re-wrapped under the active key-encryption key. */
    'crypto.keys.rewrapped': { count: number; active_key: string };
  }
}

declareAuditEvents(['crypto.keys.rewrapped']);
