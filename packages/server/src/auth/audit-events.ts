/** Audit events of the identity domain (login, MFA, sessions, PDP decisions). */
export const AUTH_EVENTS = [
  'auth.mfa_challenge',
  'auth.logout_all',
  'auth.password_rehashed',
  'auth.mfa_enrolled',
  'auth.mfa_removed',
  'auth.recovery_codes_issued',
  'auth.settings_changed',
  'auth.account_unlocked',
  'authz.decision',
  'authz.delegation_granted',
  'authz.delegation_revoked',
] as const;
