/**
 * The caller's own account as a PDP resource, and the gate for adding a second factor, which
 * decides on what the enrolment's transaction reads (whether a factor exists) for sessions
 * the guard does not serve (half-signed-in enrolment sessions).
 */
import type { Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import { authorize } from '../platform/pdp.js';
import type { UserPrincipal } from '../platform/principal.js';
import type { SessionState } from './sessions.js';
import { hasConfirmedMfa } from './totp.js';

/** The caller's own user (owner: themselves), for the auth.self.* actions. */
export const selfResource = (p: UserPrincipal) => ({ type: 'user', id: p.userId, tenantId: p.tenantId, attrs: { owner: p.userId } });

/**
 * Gate for adding a second factor (TOTP enrolment, WebAuthn registration), run inside the
 * caller's transaction. The first factor needs no step-up (there is nothing to verify with
 * yet); any further factor needs a fresh verification by an existing one
 * (`auth.self.mfa.add`, 401 step_up_required), and a half-signed-in enrolment session may only
 * add the first (409 mfa_already_enrolled). Registering a factor never counts as verifying one:
 * callers do not touch the session's MFA time.
 */
export async function authorizeNewFactor(q: Queryable, p: UserPrincipal, state: SessionState, now: Date): Promise<void> {
  if (!(await hasConfirmedMfa(q, p.userId))) {
    if (state === 'full') authorize(p, 'auth.self.manage', selfResource(p), {}, now);
    return;
  }
  if (state !== 'full') throw new ProblemError(409, 'mfa_already_enrolled', 'This account already has a second factor; sign in with it, then add another.');
  authorize(p, 'auth.self.mfa.add', selfResource(p), {}, now);
}
