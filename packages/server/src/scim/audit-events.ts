/** Audit events of SCIM directory sync (CORE-SCIM). */
export const SCIM_EVENTS = [
  'scim.token.created',
  'scim.token.revoked',
  'scim.auth_failed',
  'scim.user.created',
  'scim.user.updated',
  'scim.user.deactivated',
  'scim.user.deleted',
  'scim.group.created',
  'scim.group.updated',
  'scim.group.deleted',
  'scim.request_rejected',
] as const;
