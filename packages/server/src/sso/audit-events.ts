/** Audit events of OIDC single sign-on (CORE-SSO). */
export const SSO_EVENTS = [
  'sso.config.updated',
  'sso.config.deleted',
  'sso.login.started',
  'sso.login',
  'sso.user.provisioned',
  'sso.roles.changed',
] as const;
