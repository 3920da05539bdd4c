import type { Queryable } from '@parapet/db';
import { DEFAULT_STEP_UP_SECONDS } from '../platform/pdp.js';
import type { Role } from '../platform/principal.js';
import { booleanSetting, integerSetting, readSettings, writeSetting } from '../platform/settings.js';

/** How old an MFA verification may be for step-up actions (seconds; CORE-MFA, default 5 minutes). */
export const STEP_UP_MAX_AGE_SECONDS = integerSetting({ key: 'step_up_max_age_seconds', owner: 'auth', default: DEFAULT_STEP_UP_SECONDS, min: 30, max: 86_400 });
/** Admins can require MFA for everyone: users without a factor must enrol at sign-in. */
export const MFA_REQUIRED = booleanSetting({ key: 'mfa_required', owner: 'auth', default: false });

/** Roles whose holders must have MFA from their first sign-in (CORE-MFA default). */
export const PRIVILEGED_ROLES: readonly Role[] = ['admin', 'security_lead'];

/** True when someone with these roles must enrol MFA before their first full session. */
export function mustEnrolMfa(roles: readonly string[], tenantRequiresMfa: boolean): boolean {
  return tenantRequiresMfa || roles.some((r) => (PRIVILEGED_ROLES as readonly string[]).includes(r));
}

/** Per-tenant identity settings (tenant settings slices above). */
export interface AuthSettings {
  /** How old an MFA verification may be for step-up actions (CORE-MFA, default 5 minutes). */
  stepUpMaxAgeSeconds: number;
  /** Admins can require MFA for everyone: users without a factor must enrol at sign-in. */
  mfaRequired: boolean;
}

export async function getAuthSettings(q: Queryable, tenantId: string, o: { forUpdate?: boolean } = {}): Promise<AuthSettings> {
  const [stepUpMaxAgeSeconds, mfaRequired] = await readSettings(q, [STEP_UP_MAX_AGE_SECONDS, MFA_REQUIRED] as const, { tenantId, ...o });
  return { stepUpMaxAgeSeconds, mfaRequired };
}

/** Stores both settings; `stepUpMaxAgeSeconds` within the slice's bounds (the route's schema checks them). */
export async function setAuthSettings(q: Queryable, tenantId: string, s: AuthSettings): Promise<void> {
  await writeSetting(q, STEP_UP_MAX_AGE_SECONDS, s.stepUpMaxAgeSeconds, tenantId);
  await writeSetting(q, MFA_REQUIRED, s.mfaRequired, tenantId);
}
