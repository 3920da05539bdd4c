/**
 * What the agent tests that enroll a real binary share: a person with an employee role in a
 * fresh organisation of the test server, an agent enrollment token owned by that person, and
 * the server's CA certificate written to `<dir>/ca.pem` for `parapet-agent enroll --ca`.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createUser, loginAs, type TestServer } from '@parapet/server/testing';

export interface AgentEnrolment {
  /** The one-time enrollment token. */
  token: string;
  /** Path of the server's CA certificate (PEM). */
  caFile: string;
  tenantId: string;
  /** The person the agent's device belongs to. */
  userId: string;
}

/** @throws AssertionError when the server does not issue the token (201). */
export async function agentEnrolment(s: TestServer, dir: string): Promise<AgentEnrolment> {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const person = await createUser(s.db, admin.tenantId, { roles: ['employee'] });
  const t = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: person.userId });
  assert.equal(t.status, 201, t.text);
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, s.ca);
  return { token: t.json.token as string, caFile, tenantId: admin.tenantId, userId: person.userId };
}
