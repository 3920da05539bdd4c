/** Audit events of the governance domain (access reviews, anomaly alerts, erasure, support grants). */
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
  'support.grant.opened',
  'support.grant.revoked',
  'support.grant.refused',
  'support.session.opened',
  'support.session.refused',
  'support.session.ended',
  'support.request',
  // Organisation settings owned by governance (the support grant maximum).
  'organisation.settings_changed',
] as const;
