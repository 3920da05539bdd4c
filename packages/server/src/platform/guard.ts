/**
 * The guard: the one way a route gets at its principal and its tenant's data (CORE-AUTH,
 * CORE-PDP, CORE-AUDIT). For a person it
 *   1. takes the principal the registered resolvers found (principal.ts), or answers
 *      401 `unauthenticated` (Unauthenticated);
 *   2. asks the PDP (pdp.ts) about `action` on the resource in the principal's tenant, at the
 *      app's clock (GuardDeps.now, so a step-up age follows an injected clock);
 *   3. records a denial (and, for sensitive and subject-data actions, an allowed decision) in
 *      a transaction of its own, so the entry survives the request's rollback, then answers
 *      401 `step_up_required` (StepUpRequired, with max_age_seconds) or 403 `forbidden`
 *      (Forbidden);
 *   4. returns a Grant whose `tx` runs work as the principal: tenant id (RLS), actor and
 *      purpose set for the transaction; or, given `fn`, runs `fn` in that transaction.
 * Devices and self-service routes use guardDevice / guardUser / guardAny (steps 1 and 4:
 * Cedar's schema knows people only; a device is authorized by its enrolment).
 *
 * The audit writer is given by installGuard (app.ts), so the platform imports no domain.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database, Queryable } from '@parapet/db';
import { auditsAllowed, decideAt, denial, type Decision, type DecisionContext } from './pdp.js';
import { actorOf, Unauthenticated, type DevicePrincipal, type Principal, type RequestActor, type UserPrincipal } from './principal.js';

/** What the guard asks the audit writer to record (a subset of the audit entry). */
export interface GuardAuditEntry {
  action: string;
  outcome: 'success' | 'denied';
  target: { type: string; id: string };
  purpose?: string | undefined;
  details: Record<string, unknown>;
}

/** Appends one audit entry in the tenant transaction `q` (the audit domain's writer). */
export type GuardAuditWriter = (q: Queryable, tenantId: string, actor: RequestActor, entry: GuardAuditEntry) => Promise<unknown>;

export interface GuardDeps {
  db: Database;
  /** The app's clock (AppDeps.now); every decision is made at this instant. */
  now: () => Date;
  audit: GuardAuditWriter;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by installGuard on the root instance; encapsulated route plugins inherit it. */
    guardDeps: GuardDeps;
  }
}

/** Gives the app's guard its database, clock and audit writer (root instance, before routes). */
export function installGuard(app: FastifyInstance, deps: GuardDeps): void {
  app.decorate('guardDeps', deps);
}

/** The resource a route acts on; its tenant is always the principal's. */
export interface ResourceRef {
  type: string;
  id?: string | undefined;
  /** Attributes policies read (see pdp.ts Resource.attrs): subject, managerChain, environment... */
  attrs?: Record<string, unknown> | undefined;
}

/** The resource, or a function of the principal for resources that name it (its own user, its tenant). */
export type ResourceArg = ResourceRef | ((p: UserPrincipal) => ResourceRef);

export interface GuardOptions {
  /** The decision's context: purpose (also set on the tenant transaction), environment... */
  context?: DecisionContext;
  /** The audit event a denial is recorded under; default `authz.access.denied`. */
  denialEvent?: string;
  /** The denial's audit target; default the resource (its id, or `*`). */
  denialTarget?: { type: string; id: string };
}

/** What the guard hands a route that passed it. */
export interface Grant<P extends Principal> {
  principal: P;
  /** Who acts, for the route's own audit entries. */
  actor: RequestActor;
  /** The PDP's decision (null for guardUser, guardDevice and guardAny, which ask none). */
  decision: Decision | null;
  /** Runs `fn` in one transaction as the principal: its tenant (RLS), actor and purpose. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

function depsOf(req: FastifyRequest): GuardDeps {
  const d = req.server.guardDeps;
  if (!d) throw new Error('installGuard() was not called for this app.');
  return d;
}

const actorTag = (p: Principal) => (p.kind === 'user' ? `user:${p.userId}` : `device:${p.deviceId}`);

function grantOf<P extends Principal>(req: FastifyRequest, deps: GuardDeps, p: P, decision: Decision | null, purpose?: string): Grant<P> {
  return {
    principal: p,
    actor: actorOf(req),
    decision,
    tx: (fn) => deps.db.tx({ tenantId: p.tenantId, actor: actorTag(p), purpose: purpose ?? null }, fn),
  };
}

type Work<P, T> = (q: Queryable, p: P) => Promise<T>;

/**
 * A signed-in person allowed `action` on `resource` (see the module comment).
 * Throws Unauthenticated (401), StepUpRequired (401) or Forbidden (403).
 */
export async function guard(req: FastifyRequest, action: string, resource: ResourceArg, opts?: GuardOptions): Promise<Grant<UserPrincipal>>;
export async function guard<T>(req: FastifyRequest, action: string, resource: ResourceArg, opts: GuardOptions, fn: Work<UserPrincipal, T>): Promise<T>;
export async function guard<T>(req: FastifyRequest, action: string, resource: ResourceArg, opts: GuardOptions = {}, fn?: Work<UserPrincipal, T>): Promise<Grant<UserPrincipal> | T> {
  const deps = depsOf(req);
  const p = req.principal;
  if (p?.kind !== 'user') throw new Unauthenticated('user');
  const ctx = opts.context ?? {};
  const ref = typeof resource === 'function' ? resource(p) : resource;
  const r = { type: ref.type, id: ref.id, tenantId: p.tenantId, attrs: ref.attrs };
  const { d, maxAge } = decideAt(p, action, r, ctx, deps.now());
  const grant = grantOf(req, deps, p, d, ctx.purpose);
  if (!d.allowed || auditsAllowed(action)) {
    const subject = typeof r.attrs?.subject === 'string' ? { subject: r.attrs.subject } : {};
    const decision = d.allowed ? 'allow' : d.stepUpRequired ? 'step_up_required' : 'deny';
    const err = d.allowed ? undefined : denial(action, d, maxAge);
    // Its own transaction: the request's work has not started (or will roll back), the entry stays.
    await grant.tx((q) =>
      deps.audit(q, p.tenantId, grant.actor, {
        action: d.allowed ? 'authz.access.allowed' : (opts.denialEvent ?? 'authz.access.denied'),
        outcome: d.allowed ? 'success' : 'denied',
        target: (!d.allowed && opts.denialTarget) || { type: r.type, id: r.id ?? '*' },
        purpose: ctx.purpose,
        details: { action, decision, policies: d.reasons, ...(err ? { code: err.code } : {}), ...subject },
      }),
    );
    if (err) throw err;
  }
  return fn ? grant.tx((q) => fn(q, p)) : grant;
}

/**
 * Any signed-in person, with no PDP action: for routes about the caller's own session and
 * data whose decisions depend on what the transaction reads (they ask the PDP themselves).
 * Throws Unauthenticated (401 unauthenticated).
 */
export async function guardUser(req: FastifyRequest): Promise<Grant<UserPrincipal>>;
export async function guardUser<T>(req: FastifyRequest, fn: Work<UserPrincipal, T>): Promise<T>;
export async function guardUser<T>(req: FastifyRequest, fn?: Work<UserPrincipal, T>): Promise<Grant<UserPrincipal> | T> {
  const p = req.principal;
  if (p?.kind !== 'user') throw new Unauthenticated('user');
  const grant = grantOf(req, depsOf(req), p, null);
  return fn ? grant.tx((q) => fn(q, p)) : grant;
}

/** A device with a verified signed request (CORE-ENROLL). Throws Unauthenticated (401 device_unauthenticated). */
export async function guardDevice(req: FastifyRequest): Promise<Grant<DevicePrincipal>>;
export async function guardDevice<T>(req: FastifyRequest, fn: Work<DevicePrincipal, T>): Promise<T>;
export async function guardDevice<T>(req: FastifyRequest, fn?: Work<DevicePrincipal, T>): Promise<Grant<DevicePrincipal> | T> {
  const p = req.principal;
  if (p?.kind !== 'device') throw new Unauthenticated('device');
  const grant = grantOf(req, depsOf(req), p, null);
  return fn ? grant.tx((q) => fn(q, p)) : grant;
}

/** A signed-in person or a signed device. Throws Unauthenticated (401 unauthenticated). */
export async function guardAny(req: FastifyRequest): Promise<Grant<Principal>>;
export async function guardAny<T>(req: FastifyRequest, fn: Work<Principal, T>): Promise<T>;
export async function guardAny<T>(req: FastifyRequest, fn?: Work<Principal, T>): Promise<Grant<Principal> | T> {
  const p = req.principal;
  if (!p) throw new Unauthenticated('any');
  const grant = grantOf(req, depsOf(req), p, null);
  return fn ? grant.tx((q) => fn(q, p)) : grant;
}
