import type { FastifyRequest } from 'fastify';
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
  /** The tenant's step-up age (CORE-MFA setting); absent means the 5-minute default. */
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

export function requireUser(req: FastifyRequest): UserPrincipal {
  const p = req.principal;
  if (!p || p.kind !== 'user') throw new ProblemError(401, 'unauthenticated', 'Sign in to use this endpoint.');
  return p;
}

export function requireDevice(req: FastifyRequest): DevicePrincipal {
  const p = req.principal;
  if (!p || p.kind !== 'device') throw new ProblemError(401, 'device_unauthenticated', 'This endpoint needs a signed device request.');
  return p;
}

/** The audit actor for a request: who, from where, with what. */
export function actorOf(req: FastifyRequest): { type: 'user' | 'device' | 'system'; id: string; name?: string; ip: string; userAgent?: string } {
  const p = req.principal;
  const ua = req.headers['user-agent'];
  const base = { ip: req.ip, ...(ua ? { userAgent: ua } : {}) };
  if (p?.kind === 'user') return { type: 'user', id: p.userId, name: p.email, ...base };
  if (p?.kind === 'device') return { type: 'device', id: p.deviceId, name: p.name, ...base };
  return { type: 'system', id: 'anonymous', ...base };
}
