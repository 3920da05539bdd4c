/**
 * A simulated organisation for Pulse tests, built only through the product's own interfaces:
 * people and the manager chain through SCIM 2.0 (enterprise extension `manager`), an HR group
 * through SCIM Groups with a category delegation to it, one agent per person enrolled with an
 * owner token (DeviceClient, RFC 9421 over pinned TLS), and every interval uploaded through
 * the signed batch API. Roles (manager, auditor) have no API yet and are set in the database.
 *
 * Shape (74 people): ceo > 2 vps > 4 directors > 8 leads > 6 engineers each (48); 3 staff
 * reporting to the ceo; the HR partner (reports to the ceo, in the HR group, no agent); 5
 * contractors with no manager; an auditor; the admin. 4 levels of managers: ceo, vp, director,
 * lead. Two engineers per lead use HR tools (16 in all).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginAs, type TestClient, type TestServer } from '@parapet/server/testing';
import { issueScimToken } from '@parapet/server/scim/tokens';
import type { DeviceClient } from '@parapet/device-client';
import { batch, DAY, dayStart, enrollAgent, HOUR, iv, upload } from './helpers.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export interface SimPerson {
  key: string;
  id: string;
  email: string;
  manager: string | null;
  level: 'ceo' | 'vp' | 'director' | 'lead' | 'engineer' | 'staff' | 'hr' | 'auditor' | 'contractor';
  usesHrTools: boolean;
  agent?: DeviceClient;
}

export interface SimOrg {
  tenantId: string;
  admin: { client: TestClient; userId: string };
  people: Map<string, SimPerson>;
  /** Days (YYYY-MM-DD) with uploads: Tuesday to Thursday of the week before last (settled, work days). */
  days: string[];
  /** Seconds per person per day, by category and state, as uploaded. */
  perDay: { development: number; developmentIdle: number; meetings: number; hr_tools: number };
  hrGroupId: string;
  /** A signed-in client for a person (session made directly, MFA fresh). */
  as(key: string): Promise<TestClient>;
}

/** Builds the organisation on a running test server. */
export async function buildOrg(s: TestServer): Promise<SimOrg> {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const tenantId = admin.tenantId;
  const { token } = await s.db.tx({ tenantId }, (q) => issueScimToken(q, tenantId, 'sim-idp', admin.userId));
  const idp = s.client();
  idp.headers.authorization = `Bearer ${token}`;
  const scim = (method: string, path: string, json: unknown) => idp.request(method, `/scim/v2${path}`, { json, headers: { 'content-type': 'application/scim+json' } });

  const people = new Map<string, SimPerson>();
  const add = async (key: string, level: SimPerson['level'], manager: string | null, usesHrTools = false) => {
    const email = `${key}@sim.example`;
    const body = {
      schemas: [USER, ENT],
      userName: email,
      displayName: key.replace(/-/g, ' '),
      name: { givenName: key, familyName: 'Sim' },
      emails: [{ value: email, type: 'work', primary: true }],
      active: true,
      ...(manager ? { [ENT]: { manager: { value: people.get(manager)!.id } } } : {}),
    };
    const r = await scim('POST', '/Users', body);
    assert.equal(r.status, 201, r.text);
    people.set(key, { key, id: r.json.id, email, manager, level, usesHrTools });
  };
  await add('ceo', 'ceo', null);
  let hrUsers = 0;
  for (let v = 1; v <= 2; v++) {
    await add(`vp${v}`, 'vp', 'ceo');
    for (let d = 1; d <= 2; d++) {
      const dir = `dir${v}${d}`;
      await add(dir, 'director', `vp${v}`);
      for (let l = 1; l <= 2; l++) {
        const lead = `lead${v}${d}${l}`;
        await add(lead, 'lead', dir);
        for (let e = 1; e <= 6; e++) {
          // Two engineers per lead use HR tools (16 people across the org, at most 2 per team).
          const hr = e <= 2;
          if (hr) hrUsers++;
          await add(`eng${v}${d}${l}${e}`, 'engineer', lead, hr);
        }
      }
    }
  }
  assert.equal(hrUsers, 16);
  for (let i = 1; i <= 3; i++) await add(`staff${i}`, 'staff', 'ceo');
  await add('hr-partner', 'hr', 'ceo');
  await add('auditor', 'auditor', null);
  for (let i = 1; i <= 5; i++) await add(`contractor${i}`, 'contractor', null);
  const g = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'HR', members: [{ value: people.get('hr-partner')!.id }] });
  assert.equal(g.status, 201, g.text);

  // Roles: managers and the auditor (no role API; an admin's job done in the database).
  const managers = [...people.values()].filter((p) => ['ceo', 'vp', 'director', 'lead'].includes(p.level)).map((p) => p.id);
  await s.asAdmin(async (q) => {
    await q.query(`UPDATE users SET roles = '{manager,employee}' WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, managers]);
    await q.query(`UPDATE users SET roles = '{auditor}' WHERE tenant_id = $1 AND id = $2`, [tenantId, people.get('auditor')!.id]);
  });
  const del = await admin.client.post('/api/v1/auth/delegations', { grantee_type: 'group', grantee_id: g.json.id, category: 'hr_tools' });
  assert.equal(del.status, 201, del.text);

  // Agents and uploads: every person except the auditor and the HR partner (and the admin).
  const dir = await mkdtemp(join(tmpdir(), 'parapet-pulse-org-'));
  const monday = dayStart(0) - ((new Date(dayStart(0)).getUTCDay() + 6) % 7) * DAY - 14 * DAY;
  const days = [1, 2, 3].map((n) => monday + n * DAY);
  const uploaders = [...people.values()].filter((p) => !['auditor', 'hr'].includes(p.level));
  for (const p of uploaders) {
    p.agent = await enrollAgent(s, admin.client, dir, p.id, `${p.key}-laptop`);
    const intervals = days.flatMap((d) => [
      iv(d + 9 * HOUR, d + 11 * HOUR),
      iv(d + 11 * HOUR, d + 11.5 * HOUR, { state: 'idle' }),
      iv(d + 13 * HOUR, d + 14 * HOUR, { app: 'zoom', category: 'meetings' }),
      ...(p.usesHrTools ? [iv(d + 15 * HOUR, d + 15.5 * HOUR, { app: 'workday', category: 'hr_tools', domain: 'workday.com' })] : []),
      iv(d + 12 * HOUR, d + 12.5 * HOUR, { state: 'paused' }),
    ]);
    const r = await upload(p.agent, batch(intervals));
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  const sessions = new Map<string, TestClient>();
  return {
    tenantId,
    admin: { client: admin.client, userId: admin.userId },
    people,
    days: days.map((d) => new Date(d).toISOString().slice(0, 10)),
    perDay: { development: 7200, developmentIdle: 1800, meetings: 3600, hr_tools: 1800 },
    hrGroupId: g.json.id,
    async as(key: string) {
      const had = sessions.get(key);
      if (had) return had;
      const { createSession, CSRF_HEADER, SESSION_COOKIE } = await import('@parapet/server/auth/sessions');
      const p = people.get(key)!;
      const sess = await s.db.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: p.id, mfaVerifiedAt: new Date() }));
      const c = s.client();
      c.cookies.set(SESSION_COOKIE, sess.cookie);
      c.headers[CSRF_HEADER] = sess.csrfToken;
      sessions.set(key, c);
      return c;
    },
  };
}
