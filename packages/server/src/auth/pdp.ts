/**
 * The policy decision point (CORE-PDP). Every route asks `authorize(...)`; no route checks
 * roles by hand. This first version evaluates a role table; the identity issue replaces the
 * evaluation with Cedar policies without changing this signature.
 */
import type { Principal, Role } from './principal.js';
import { ProblemError } from '../http/problem.js';

export interface Resource {
  type: string;
  id?: string | undefined;
  tenantId: string;
  /** Attributes policies may read (owner, environment, app category…). */
  attrs?: Record<string, unknown> | undefined;
}

export interface DecisionContext {
  purpose?: string | undefined;
  ip?: string | undefined;
  /** Seconds since the session's last MFA verification; null when never. */
  mfaAgeSeconds?: number | null | undefined;
  [k: string]: unknown;
}

export interface Decision {
  allowed: boolean;
  /** Denied now, but allowed after a fresh MFA verification. */
  stepUpRequired: boolean;
  /** Policies that decided (ids), for the audit entry. */
  reasons: string[];
}

/** action → roles allowed, and whether it needs MFA no older than the step-up age. */
interface Rule {
  roles: Role[];
  stepUp?: boolean;
}
const RULES: Record<string, Rule> = {};

/** Registers rules for actions (domains call this at module load). */
export function defineActions(rules: Record<string, Rule>): void {
  for (const [action, rule] of Object.entries(rules)) {
    if (RULES[action]) throw new Error(`Action ${action} is defined twice.`);
    RULES[action] = rule;
  }
}

export const DEFAULT_STEP_UP_SECONDS = 5 * 60;

export function decide(p: Principal, action: string, r: Resource, ctx: DecisionContext, stepUpSeconds = DEFAULT_STEP_UP_SECONDS): Decision {
  const rule = RULES[action];
  if (!rule) return { allowed: false, stepUpRequired: false, reasons: [`no rule for ${action}`] }; // deny by default
  if (p.tenantId !== r.tenantId) return { allowed: false, stepUpRequired: false, reasons: ['cross-tenant'] };
  if (p.kind !== 'user' || !p.roles.some((role) => rule.roles.includes(role))) {
    return { allowed: false, stepUpRequired: false, reasons: [`role not in ${rule.roles.join('|')}`] };
  }
  if (rule.stepUp) {
    const age = ctx.mfaAgeSeconds;
    if (age === null || age === undefined || age > stepUpSeconds) return { allowed: false, stepUpRequired: true, reasons: ['mfa too old'] };
  }
  return { allowed: true, stepUpRequired: false, reasons: [`rule ${action}`] };
}

/** Throws 401 step_up_required or 403 forbidden unless allowed. */
export function authorize(p: Principal, action: string, r: Resource, ctx: DecisionContext = {}, now = new Date(), stepUpSeconds?: number): Decision {
  const mfaAgeSeconds = ctx.mfaAgeSeconds !== undefined ? ctx.mfaAgeSeconds : p.kind === 'user' && p.mfaVerifiedAt ? (now.getTime() - p.mfaVerifiedAt.getTime()) / 1000 : null;
  const maxAge = stepUpSeconds ?? (p.kind === 'user' ? p.stepUpSeconds : undefined) ?? DEFAULT_STEP_UP_SECONDS;
  const d = decide(p, action, r, { ...ctx, mfaAgeSeconds }, maxAge);
  if (d.allowed) return d;
  if (d.stepUpRequired) throw new ProblemError(401, 'step_up_required', 'This action needs a fresh MFA verification; verify and repeat the request.', { max_age_seconds: maxAge });
  throw new ProblemError(403, 'forbidden', `You may not ${action.replace(/[._]/g, ' ')}.`);
}
