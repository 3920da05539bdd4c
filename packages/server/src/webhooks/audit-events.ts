/** Audit events of SIEM webhooks (see platform/audit.ts for the catalogue's rules). */
import { declareAuditEvents } from '../platform/audit.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    'webhook.endpoint.created': { url: string; events: string[] };
    /** Fields changed by an admin (`changed`), or the private networks an endpoint may reach. */
    'webhook.endpoint.updated': { changed: string[] } | { allow_private_cidrs: string[] };
    'webhook.endpoint.deleted': Record<string, never>;
    /** The receiver answered 410 Gone, so delivery to the endpoint stopped. */
    'webhook.endpoint.disabled': { reason: string; message_id: string };
    'webhook.message.replayed': Record<string, never>;
    'webhook.test.sent': { message_id: string; status: number | null; error_code: string | null };
  }
}

declareAuditEvents(['webhook.endpoint.created', 'webhook.endpoint.updated', 'webhook.endpoint.deleted', 'webhook.endpoint.disabled', 'webhook.message.replayed', 'webhook.test.sent']);
