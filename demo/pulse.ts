/**
 * Pulse in the demo: a simulated workforce provisioned through SCIM (a CEO, two VPs, four teams
 * with their managers, Morgan Manager's Engineering team with Emma Employee in it, and a small
 * Sales team whose cells k-anonymity suppresses), one enrolled agent per person, and three weeks
 * of workday activity uploaded through the real signed batch API (RFC 9421, pinned TLS): a
 * simulator of what `parapet-agent` sends, not SQL. Oscar Operator gets a category delegation.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DeviceClient, openKeyStore } from '@parapet/device-client';
import { PULSE_BATCH_SCHEMA_ID, type PulseBatch, type PulseInterval } from '@parapet/core';
import { Api, ApiError } from './api.js';
import type { Progress } from './progress.js';
import type { DemoOrg } from './people.js';
import type { DemoServer } from './server.js';

export interface PulseOutcome {
  summary: string[];
}

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Workdays of activity uploaded per person. */
export const PULSE_DEMO_WEEKS = 3;

interface Member {
  email: string;
  name: string;
  manager?: string;
  /** What this person mostly does: weights per category. */
  mix: Record<string, number>;
  manages?: boolean;
}

const ENGINEER = { development: 5, communication: 2, meetings: 2, browsing: 1 };
const DESIGNER = { design: 5, communication: 2, meetings: 2, documents: 1 };
const SELLER = { communication: 4, meetings: 3, documents: 2, browsing: 1 };
const LEAD = { meetings: 4, communication: 3, documents: 2, development: 1 };

/** The workforce; Morgan Manager and Emma Employee are the demo's own people. */
function workforce(org: DemoOrg): Member[] {
  const morgan = org.people.find((p) => p.key === 'manager')!.email;
  const emma = org.people.find((p) => p.key === 'employee')!.email;
  const m: Member[] = [
    { email: 'dana.ceo@northwind.example', name: 'Dana Ceo', mix: LEAD, manages: true },
    { email: 'riley.vp@northwind.example', name: 'Riley Vp', manager: 'dana.ceo@northwind.example', mix: LEAD, manages: true },
    { email: 'sasha.vp@northwind.example', name: 'Sasha Vp', manager: 'dana.ceo@northwind.example', mix: LEAD, manages: true },
    { email: morgan, name: 'Morgan Manager', manager: 'riley.vp@northwind.example', mix: LEAD, manages: true },
    { email: 'quinn.lead@northwind.example', name: 'Quinn Lead', manager: 'riley.vp@northwind.example', mix: LEAD, manages: true },
    { email: 'harper.lead@northwind.example', name: 'Harper Lead', manager: 'sasha.vp@northwind.example', mix: LEAD, manages: true },
    { email: 'jamie.lead@northwind.example', name: 'Jamie Lead', manager: 'sasha.vp@northwind.example', mix: LEAD, manages: true },
    { email: emma, name: 'Emma Employee', manager: morgan, mix: ENGINEER },
  ];
  const names = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jo', 'Kai', 'Lea', 'Max', 'Noa', 'Oli', 'Pia', 'Rae', 'Sol', 'Tom', 'Uma'];
  const add = (n: number, manager: string, mix: Record<string, number>, team: string) => {
    for (let i = 0; i < n; i++) {
      const first = names[(m.length + i) % names.length]!;
      m.push({ email: `${first.toLowerCase()}.${team}${i + 1}@northwind.example`, name: `${first} ${team[0]!.toUpperCase()}${team.slice(1)}${i + 1}`, manager, mix });
    }
  };
  add(7, morgan, ENGINEER, 'eng'); // Engineering: Emma and 7 more
  add(6, 'quinn.lead@northwind.example', DESIGNER, 'design'); // Design
  add(5, 'harper.lead@northwind.example', SELLER, 'sales'); // Sales
  add(3, 'jamie.lead@northwind.example', SELLER, 'partners'); // Partners: too small for k = 5
  return m;
}

/** A deterministic pseudo-random generator (mulberry32), so each run draws the same week shapes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APPS: Record<string, { app: string; domain: string | null }> = {
  development: { app: 'code', domain: null },
  communication: { app: 'slack', domain: null },
  meetings: { app: 'zoom', domain: null },
  documents: { app: 'libreoffice', domain: null },
  design: { app: 'figma', domain: null },
  browsing: { app: 'firefox', domain: 'wikipedia.org' },
};

/** A workday as an agent records it: blocks of 15–90 min, idle breaks, a paused lunch. */
function dayOfWork(day0: number, mix: Record<string, number>, r: () => number): PulseInterval[] {
  const out: PulseInterval[] = [];
  const cats = Object.entries(mix).flatMap(([k, w]) => Array<string>(w).fill(k));
  const iv = (start: number, end: number, state: PulseInterval['state'], cat?: string): PulseInterval => ({
    id: randomUUID(),
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    state,
    app: state === 'paused' ? null : APPS[cat!]!.app,
    category: state === 'paused' ? null : cat!,
    domain: state === 'paused' ? null : APPS[cat!]!.domain,
  });
  let t = day0 + (8.5 + r()) * HOUR;
  const lunch = day0 + 12 * HOUR;
  const end = day0 + (16.5 + r() * 1.5) * HOUR;
  let lunched = false;
  while (t < end) {
    if (!lunched && t >= lunch) {
      out.push(iv(t, t + 45 * 60_000, 'paused'));
      t += 45 * 60_000;
      lunched = true;
      continue;
    }
    const cat = cats[Math.floor(r() * cats.length)]!;
    const len = (15 + Math.floor(r() * 75)) * 60_000;
    out.push(iv(t, Math.min(t + len, end), 'active', cat));
    t += len;
    if (r() < 0.3 && t < end) {
      const idle = (5 + Math.floor(r() * 15)) * 60_000;
      out.push(iv(t, Math.min(t + idle, end), 'idle', cat));
      t += idle;
    }
  }
  return out;
}

export async function runPulse(s: DemoServer, org: DemoOrg, progress: Progress): Promise<PulseOutcome> {
  const admin = org.clients.get('admin')!;
  const members = workforce(org);
  const ids = new Map<string, string>();

  progress.step(`Workforce of ${members.length} people through SCIM (teams and managers)`);
  await admin.stepUp();
  const token = await admin.call<{ token: string }>('POST', '/api/v1/scim/tokens', { name: `demo directory ${new Date().toISOString()}` });
  const idp = new Api(s.url, s.ca);
  const scim = <T>(method: string, path: string, body?: unknown) => idp.call<T>(method, `/scim/v2${path}`, body, { authorization: `Bearer ${token.token}`, 'content-type': 'application/scim+json' });
  const byEmail = new Map(org.people.map((p) => [p.email, p]));
  let n = 0;
  for (const m of members) {
    const managerId = m.manager ? ids.get(m.manager) : undefined;
    const ext = managerId ? { [ENT]: { manager: { value: managerId }, department: 'Northwind' } } : {};
    // The directory matches people it already knows (the demo's own, or a second run) by userName.
    let id = (await scim<{ Resources?: Array<{ id: string }> }>('GET', `/Users?filter=${encodeURIComponent(`userName eq "${m.email}"`)}`)).Resources?.[0]?.id;
    if (id) {
      if (managerId) await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: `${ENT}:manager`, value: { value: managerId } }] });
    } else {
      const r = await scim<{ id: string }>('POST', '/Users', { schemas: [USER, ENT], userName: m.email, displayName: m.name, name: { givenName: m.name.split(' ')[0], familyName: m.name.split(' ')[1] }, emails: [{ value: m.email, type: 'work', primary: true }], active: true, ...ext });
      id = r.id;
    }
    ids.set(m.email, id);
    progress.detail(`${++n} / ${members.length}`);
  }
  // Managers need the manager role to see their chain (roles are granted locally, with step-up).
  await admin.stepUp();
  for (const m of members.filter((x) => x.manages && !byEmail.has(x.email))) {
    await admin.call('PUT', `/api/v1/people/${ids.get(m.email)}/roles`, { roles: ['manager', 'employee'] }).catch((e: unknown) => {
      if (!(e instanceof ApiError) || e.code !== 'roles_managed_externally') throw e;
    });
  }
  progress.finish(`${members.length} people in 4 teams under 2 VPs`);

  progress.step(`Agents enrolled, ${PULSE_DEMO_WEEKS} weeks of activity uploaded through the signed API`);
  const agentsDir = join(s.dataDir, 'pulse', 'agents');
  await mkdir(agentsDir, { recursive: true, mode: 0o700 });
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days: number[] = [];
  for (let d = PULSE_DEMO_WEEKS * 7 + 1; d >= 2; d--) {
    const day = today - d * DAY;
    const wd = new Date(day).getUTCDay();
    if (wd !== 0 && wd !== 6) days.push(day);
  }
  let intervals = 0;
  let batches = 0;
  const uploaders = members.filter((m) => m.email !== 'dana.ceo@northwind.example');
  let i = 0;
  for (const m of uploaders) {
    const userId = ids.get(m.email)!;
    const tok = await admin.call<{ token: string }>('POST', '/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: userId });
    const dir = join(agentsDir, userId);
    const store = await openKeyStore({ service: 'parapet-demo-agent', account: userId, filePath: join(dir, 'device.key'), prefer: 'file' });
    const agent = await DeviceClient.enroll({ server: s.url, token: tok.token, kind: 'agent', name: `${m.name.split(' ')[0]!.toLowerCase()}-laptop`, store, statePath: join(dir, 'state.json'), ca: s.ca, version: 'demo-simulator', platform: 'linux-x11' });
    const r = rng([...m.email].reduce((a, c) => a * 31 + c.charCodeAt(0), 7));
    const all = days.flatMap((d) => dayOfWork(d, m.mix, r));
    // One batch per week, as an agent that uploads a buffer it built up would.
    for (let w = 0; w < all.length; w += 200) {
      const batch: PulseBatch = { schema: PULSE_BATCH_SCHEMA_ID, batch_id: randomUUID(), created_at: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, '.000Z'), intervals: all.slice(w, w + 200) };
      const res = await agent.request('POST', '/api/v1/pulse/batches', batch);
      if (res.status !== 201) throw new Error(`The Pulse upload for ${m.email} was refused (${res.status}): ${JSON.stringify(res.json())}`);
      batches++;
      intervals += batch.intervals.length;
    }
    progress.detail(`${++i} / ${uploaders.length} agents, ${intervals} intervals`);
  }
  progress.finish(`${uploaders.length} agents, ${batches} signed batches, ${intervals} intervals`);

  progress.step('Category delegation: Oscar Operator may see "communication" across the organisation');
  const oscar = org.people.find((p) => p.key === 'operator')!;
  const oscarId = (await admin.call<{ people: Array<{ id: string; email: string }> }>('GET', '/api/v1/people')).people.find((p) => p.email === oscar.email)!.id;
  await admin.stepUp();
  await admin.call('POST', '/api/v1/auth/delegations', { grantee_type: 'user', grantee_id: oscarId, category: 'communication' }).catch((e: unknown) => {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
  });
  progress.finish('done');

  const origin = s.url.replace('127.0.0.1', 'localhost');
  return {
    summary: [
      `Pulse: ${members.length} people, ${intervals} intervals over ${days.length} workdays, uploaded by ${uploaders.length} enrolled agents.`,
      `  Morgan Manager: ${origin}/pulse, purpose "Wellbeing", team view (the Partners team of 3 is shown as "fewer than k people").`,
      `  Emma Employee:  ${origin}/pulse/me, her own timeline and who looked at her data.`,
      `  Oscar Operator: ${origin}/pulse, purpose "Tool adoption", the delegated "communication" category only.`,
    ],
  };
}
