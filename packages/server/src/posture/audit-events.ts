/** Audit events of the posture domain (CORE-POSTURE; see platform/audit.ts for the rules). */
import { declareAuditEvents } from '../platform/audit.js';
import type { CheckStatus } from './checks.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    /** A signed posture report was produced. */
    'posture.checked': { overall: CheckStatus; failed: string[]; warned: string[]; keyid: string };
  }
}

declareAuditEvents(['posture.checked']);
