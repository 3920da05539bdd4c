/** Audit events of the governance domain (access reviews). */
export const GOVERNANCE_EVENTS = [
  'governance.review.opened',
  'governance.review.item_confirmed',
  'governance.review.item_revoked',
  'governance.review.signed_off',
  'governance.review.overdue',
  'governance.review.refused',
  'governance.anomaly.detected',
  'governance.anomaly.acknowledged',
  'governance.erasure.completed',
  'governance.erasure.refused',
] as const;
