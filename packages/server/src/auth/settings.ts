import type { Queryable } from '@parapet/db';
import { DEFAULT_STEP_UP_SECONDS } from '../platform/pdp.js';

/** Per-tenant identity settings, kept in tenants.settings (jsonb). */
export interface AuthSettings {
  /** How old an MFA verification may be for step-up actions (CORE-MFA, default 5 minutes). */
  stepUpMaxAgeSeconds: number;
  /** Admins can require MFA for everyone: users without a factor must enrol at sign-in. */
  mfaRequired: boolean;
}

export async function getAuthSettings(q: Queryable, tenantId: string): Promise<AuthSettings> {
  const { rows } = await q.query<{ settings: Record<string, unknown> }>(`SELECT settings FROM tenants WHERE id = $1`, [tenantId]);
  const s = rows[0]?.settings ?? {};
  const age = Number(s.step_up_max_age_seconds);
  return { stepUpMaxAgeSeconds: Number.isInteger(age) && age > 0 ? age : DEFAULT_STEP_UP_SECONDS, mfaRequired: s.mfa_required === true };
}

export async function setAuthSettings(q: Queryable, tenantId: string, s: AuthSettings): Promise<void> {
  await q.query(`UPDATE tenants SET settings = settings || $2::jsonb WHERE id = $1`, [tenantId, JSON.stringify({ step_up_max_age_seconds: s.stepUpMaxAgeSeconds, mfa_required: s.mfaRequired })]);
}
