/**
 * The demo organisation "Northwind Demo" and its named people, one per role, each with a
 * password and an enrolled authenticator (TOTP secrets are printed, so a person can sign in
 * with an authenticator app or `oathtool --totp -b SECRET`).
 */
import { randomBytes } from 'node:crypto';
import { Api, ApiError } from './api.js';
import type { DemoServer } from './server.js';

export const ORG_NAME = 'Northwind Demo';
export const ORG_SLUG = 'northwind-demo';

export interface DemoPerson {
  key: 'admin' | 'lead' | 'approver1' | 'approver2' | 'operator' | 'manager' | 'employee' | 'auditor';
  name: string;
  email: string;
  roles: string[];
  password: string;
  totpSecret: string;
  /** Last TOTP time step used, so the next run moves forward (the server refuses replays). */
  lastStep?: number;
  /** What the person is in the demo for, printed in the summary. */
  why: string;
}

const PEOPLE: Array<Omit<DemoPerson, 'password' | 'totpSecret'>> = [
  { key: 'admin', name: 'Avery Admin', email: 'avery.admin@northwind.example', roles: ['admin'], why: 'configuration, people, audit log' },
  { key: 'lead', name: 'Sam Lead', email: 'sam.lead@northwind.example', roles: ['security_lead'], why: 'owns the scope-signing key, requests scans' },
  { key: 'approver1', name: 'Priya Approver', email: 'priya.approver@northwind.example', roles: ['security_lead'], why: 'first approver of production scans' },
  { key: 'approver2', name: 'Jordan Approver', email: 'jordan.approver@northwind.example', roles: ['security_lead'], why: 'second approver of production scans' },
  { key: 'operator', name: 'Oscar Operator', email: 'oscar.operator@northwind.example', roles: ['operator'], why: 'watches scans and findings' },
  { key: 'manager', name: 'Morgan Manager', email: 'morgan.manager@northwind.example', roles: ['manager', 'employee'], why: 'Pulse: the Engineering team view (k-anonymity)' },
  { key: 'employee', name: 'Emma Employee', email: 'emma.employee@northwind.example', roles: ['employee'], why: 'Pulse: my own data and who viewed it' },
  { key: 'auditor', name: 'Alex Auditor', email: 'alex.auditor@northwind.example', roles: ['auditor'], why: 'the audit log, no activity data' },
];

export interface DemoOrg {
  tenantId: string;
  slug: string;
  people: DemoPerson[];
  /** Signed-in clients per person (fresh sessions for this run). */
  clients: Map<DemoPerson['key'], Api>;
}

function password(): string {
  // Readable, long, and different per run: four groups of base32-ish characters.
  return randomBytes(15).toString('base64url').replace(/[-_]/g, 'x').match(/.{5}/g)!.join('-');
}

/** Creates the organisation and its people through the API (bootstrap token, invitations). */
export async function createOrg(s: DemoServer, onPerson: (name: string) => void): Promise<DemoOrg> {
  const adminSpec = PEOPLE[0]!;
  const admin: DemoPerson = { ...adminSpec, password: password(), totpSecret: '' };
  const bootstrap = new Api(s.url, s.ca);
  const org = await bootstrap.call<{ tenant_id: string; slug: string }>('POST', '/api/v1/bootstrap/organisations', { name: ORG_NAME, slug: ORG_SLUG, admin_email: admin.email, admin_password: admin.password, admin_name: admin.name }, { authorization: `Bearer ${s.bootstrapToken}` });
  const adminApi = new Api(s.url, s.ca);
  await adminApi.call('POST', '/api/v1/auth/login', { org: org.slug, email: admin.email, password: admin.password });
  await adminApi.enrolTotp();
  admin.totpSecret = adminApi.totpSecret!;
  onPerson(admin.name);
  const people: DemoPerson[] = [admin];
  const clients = new Map<DemoPerson['key'], Api>([['admin', adminApi]]);
  await adminApi.stepUp();
  for (const spec of PEOPLE.slice(1)) {
    const inv = await adminApi.call<{ token: string }>('POST', '/api/v1/people/invitations', { email: spec.email, roles: spec.roles });
    const p: DemoPerson = { ...spec, password: password(), totpSecret: '' };
    const api = new Api(s.url, s.ca);
    await api.call('POST', '/api/v1/invitations/accept', { token: inv.token, password: p.password, display_name: p.name });
    await api.enrolTotp();
    p.totpSecret = api.totpSecret!;
    people.push(p);
    clients.set(p.key, api);
    onPerson(p.name);
  }
  return { tenantId: org.tenant_id, slug: org.slug, people, clients };
}

/** Signs the saved people in again (a second run of the demo). */
export async function signIn(s: DemoServer, saved: { tenantId: string; slug: string; people: DemoPerson[] }): Promise<DemoOrg> {
  const clients = new Map<DemoPerson['key'], Api>();
  for (const p of saved.people) {
    const api = new Api(s.url, s.ca);
    api.totpSecret = p.totpSecret;
    api.lastStep = p.lastStep ?? 0;
    try {
      await api.login(saved.slug, p.email, p.password);
    } catch (e) {
      if (e instanceof ApiError) throw new Error(`${p.name} could not sign in to the saved demo organisation (${e.code}); run "npm run demo -- --reset" to start afresh.`);
      throw e;
    }
    clients.set(p.key, api);
  }
  return { ...saved, clients };
}
