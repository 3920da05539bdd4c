/**
 * Audit events of the governance domain: access reviews, anomaly alerts, erasure, vendor
 * support grants and the organisation settings it owns (see platform/audit.ts for the rules).
 */
import { declareAuditEvents } from '../platform/audit.js';
import type { ReviewKind } from './reviews.js';

/** One reviewed line of an access review. */
export interface ReviewItemDetails {
  item: number;
  kind: ReviewKind;
  subject_id: string;
  label: string;
  note?: string | undefined;
}

declare module '../platform/audit.js' {
  interface AuditEvents {
    'governance.review.opened': { title: string; items: number; reviewers: string[]; due_at: string };
    'governance.review_item.confirmed': ReviewItemDetails;
    'governance.review_item.revoked': ReviewItemDetails;
    'governance.review.signed_off': { items: number; revoked: number; keyid: string };
    /** A review passed its due date without sign-off (raised once per review). */
    'governance.review.lapsed': { due_before: string };
    /** A refused review action (only refusals are recorded under this name). */
    'governance.review.refused': Record<string, never>;
    'governance.anomaly.detected': { alert_id: string; count: number; median: number; p99: number; floor: number; window_start: string; rule: string; support_grant_ids?: string[] | undefined };
    'governance.anomaly.acknowledged': Record<string, never>;
    'governance.erasure.completed': { request_id: string; reason: string; deleted: Record<string, number>; nullified: Record<string, number>; kept: string[]; subject_key_destroyed: boolean };
    'governance.erasure.refused': Record<string, never>;
    'support.grant.opened': { grant_id: string; ticket: string; reason: string; scope: 'read_only' | 'read_write'; hours: number; expires_at: string };
    'support.grant.revoked': { grant_id: string; sessions_ended: number };
    'support.grant.refused': Record<string, never>;
    'support.session.opened': { grant_id: string; session_id: string; scope: 'read_only' | 'read_write'; method: string };
    'support.session.refused': Record<string, never>;
    'support.session.ended': { grant_id: string; session_id: string };
    /** One request a vendor support member made in a support session. */
    'support.request.made': { grant_id: string; session_id: string; method: string; path: string | undefined; status: number };
    /** Organisation settings owned by governance (the support grant maximum). */
    'organisation.settings.changed': { setting: string; before: number; after: number };
  }
}

declareAuditEvents([
  'governance.review.opened',
  'governance.review_item.confirmed',
  'governance.review_item.revoked',
  'governance.review.signed_off',
  'governance.review.lapsed',
  'governance.review.refused',
  'governance.anomaly.detected',
  'governance.anomaly.acknowledged',
  'governance.erasure.completed',
  'governance.erasure.refused',
  'support.grant.opened',
  'support.grant.revoked',
  'support.grant.refused',
  'support.session.opened',
  'support.session.refused',
  'support.session.ended',
  'support.request.made',
  'organisation.settings.changed',
]);
