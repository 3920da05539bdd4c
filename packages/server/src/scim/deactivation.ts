/**
 * What else must end when a user is deactivated. SCIM ends sessions itself; other modules
 * (devices: revoke the user's enrolled devices) register a hook at module load, and every hook
 * runs inside the deactivating transaction, so deactivation is all-or-nothing.
 */
import type { Queryable } from '@parapet/db';

export type DeactivationHook = (q: Queryable, tenantId: string, userId: string) => Promise<Record<string, unknown> | void>;
const hooks: Array<{ name: string; fn: DeactivationHook }> = [];

export function onUserDeactivated(name: string, fn: DeactivationHook): void {
  if (hooks.some((h) => h.name === name)) throw new Error(`Deactivation hook ${name} is registered twice.`);
  hooks.push({ name, fn });
}

/** Runs every hook; returns what each reported (for the audit entry). */
export async function runDeactivationHooks(q: Queryable, tenantId: string, userId: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const h of hooks) out[h.name] = (await h.fn(q, tenantId, userId)) ?? true;
  return out;
}
