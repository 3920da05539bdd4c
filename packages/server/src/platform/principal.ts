/**
 * Who a request acts for (CORE-AUTH). The platform owns the principal types and the one
 * `onRequest` hook that resolves them; domains register resolvers for their credentials
 * (sessions: the cookie; devices: the RFC 9421 signature). Routes reach the principal only
 * through the guard (platform/guard.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../http/problem.js';

export const ROLES = ['admin', 'security_lead', 'operator', 'manager', 'employee', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** A signed-in person, resolved from their session on every request. */
export interface UserPrincipal {
  kind: 'user';
  tenantId: string;
  userId: string;
  email: string;
  roles: Role[];
  sessionId: string;
  /** When this session last passed an MFA check (login with MFA, or step-up). */
  mfaVerifiedAt: Date | null;
  csrfToken: string;
  /** The tenant's step-up age in seconds (CORE-MFA setting); absent means the 5-minute default. */
  stepUpSeconds?: number;
}

/** An enrolled agent or worker, resolved from its signed request. */
export interface DevicePrincipal {
  kind: 'device';
  tenantId: string;
  deviceId: string;
  deviceKind: 'agent' | 'worker';
  name: string;
}

export type Principal = UserPrincipal | DevicePrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** 401 for a request that carries no principal of the kind the route needs. */
export class Unauthenticated extends ProblemError {
  override name = 'Unauthenticated';
  constructor(kind: 'user' | 'device' | 'any') {
    super(
      401,
      kind === 'device' ? 'device_unauthenticated' : 'unauthenticated',
      kind === 'device' ? 'This endpoint needs a signed device request.' : kind === 'any' ? 'Sign in or sign the request as a device.' : 'Sign in to use this endpoint.',
    );
  }
}

/** Who acted, as the audit log records it: `ip` and `userAgent` from the request. */
export interface RequestActor {
  type: 'user' | 'device' | 'system';
  id: string;
  name?: string;
  ip: string;
  userAgent?: string;
}

/** The audit actor for a request: who, from where, with what. */
export function actorOf(req: FastifyRequest): RequestActor {
  const p = req.principal;
  const ua = req.headers['user-agent'];
  const base = { ip: req.ip, ...(ua ? { userAgent: ua } : {}) };
  if (p?.kind === 'user') return { type: 'user', id: p.userId, name: p.email, ...base };
  if (p?.kind === 'device') return { type: 'device', id: p.deviceId, name: p.name, ...base };
  return { type: 'system', id: 'anonymous', ...base };
}

/**
 * Resolves a request's credentials to a principal: null or undefined when the request does
 * not carry this resolver's kind of credential; throws a ProblemError (401/403) when it
 * carries one that is refused (bad signature, missing CSRF token...).
 */
export type PrincipalResolver = (req: FastifyRequest) => Promise<Principal | null | undefined>;

const resolvers = new WeakMap<FastifyInstance, PrincipalResolver[]>();

/**
 * Adds a resolver to the app's chain (root instance, before routes are registered). The
 * first registration installs the request decoration and one `onRequest` hook that asks the
 * resolvers in registration order; the first principal wins and later resolvers are not asked.
 */
export function registerPrincipalResolver(app: FastifyInstance, resolver: PrincipalResolver): void {
  let chain = resolvers.get(app);
  if (!chain) {
    const list: PrincipalResolver[] = (chain = []);
    resolvers.set(app, list);
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (req) => {
      for (const resolve of list) {
        const p = await resolve(req);
        if (p) {
          req.principal = p;
          return;
        }
      }
    });
  }
  chain.push(resolver);
}
