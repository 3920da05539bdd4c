import { createContext, useContext } from 'react';
import type { Session } from './api';

export interface SessionContextValue {
  session: Session;
  /** The organisation's slug as typed at sign-in (the session names only the tenant id). */
  org: string | null;
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside a signed-in page');
  return v;
}

export const hasRole = (s: Session, ...roles: string[]) => s.roles.some((r) => roles.includes(r));

/** Who sees which page; the API decides for real (403), this only hides dead ends. */
export const ACCESS = {
  people: ['admin', 'security_lead', 'auditor'],
  audit: ['admin', 'auditor'],
  settings: ['admin', 'auditor'],
  devices: ['admin', 'security_lead', 'auditor'],
  sso: ['admin'],
  scim: ['admin'],
  reviews: ['admin', 'security_lead', 'auditor'],
  support: ['admin', 'security_lead', 'auditor'],
  probeReports: ['operator', 'security_lead', 'admin', 'auditor'],
  webhooks: ['admin', 'security_lead', 'auditor'],
  probe: ['operator', 'security_lead', 'admin', 'auditor'],
};

const ORG_KEY = 'parapet.org';
export const rememberOrg = (org: string) => localStorage.setItem(ORG_KEY, org);
export const rememberedOrg = () => localStorage.getItem(ORG_KEY);
