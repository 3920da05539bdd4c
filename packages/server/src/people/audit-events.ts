/** Audit events of the people domain: invitations and locally managed roles (see platform/audit.ts). */
import { declareAuditEvents } from '../platform/audit.js';
import type { Role } from '../platform/principal.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    'people.invitation.created': { email: string; roles: Role[]; expires_at: string };
    /** The invitation mail was handed to the mail server (`message_id`) or could not be (`error`). */
    'people.invitation.emailed': { email: string; message_id: string } | { email: string; error: string };
    'people.invitation.revoked': { email: string };
    'people.invitation.accepted': { invitation_id: string; email: string; roles: Role[]; session_state: 'full' | 'mfa_enroll' };
    'people.roles.changed': { email: string; from: Role[]; to: Role[]; sessions_ended: number };
  }
}

declareAuditEvents(['people.invitation.created', 'people.invitation.emailed', 'people.invitation.revoked', 'people.invitation.accepted', 'people.roles.changed']);
