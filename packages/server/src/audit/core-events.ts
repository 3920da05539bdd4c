export const CORE_EVENTS = [
  'tenant.created',
  'user.created',
  'auth.login',
  'auth.logout',
  'auth.step_up',
  'authz.denied',
  'crypto.keys_rewrapped',
] as const;
