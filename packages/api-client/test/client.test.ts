/**
 * The generated client against a real server (HTTPS, both engines): typed calls reach the
 * routes, 2xx bodies arrive as `data` and problem answers as `error` with their code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, type TestServer, type TestClient } from '@parapet/server/testing';
import { createApiClient, transportFrom, type ApiClient } from '../src/index.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const typed = (c: TestClient): ApiClient =>
  createApiClient({ baseUrl: s.url, fetch: transportFrom(s.url, (method, path, body) => c.request(method, path, body === undefined ? {} : { json: body })) });

test('typed GET and POST reach the routes; data is the 2xx body', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const api = typed(a.client);
  const who = await api.GET('/api/v1/auth/session');
  assert.equal(who.response.status, 200);
  assert.equal(who.error, undefined);
  const people = await api.GET('/api/v1/people');
  assert.equal(people.response.status, 200);
  assert.ok(people.data?.people?.some((p) => p.email === a.email), JSON.stringify(people.data));
  const inv = await api.POST('/api/v1/people/invitations', { body: { email: `new-${Date.now()}@example.test`, roles: ['employee'] } });
  assert.equal(inv.response.status, 201, JSON.stringify(inv.error));
});

test('problem answers arrive as error with their stable code', async () => {
  const api = typed(s.client());
  const r = await api.GET('/api/v1/people');
  assert.equal(r.response.status, 401);
  assert.equal(r.data, undefined);
  assert.equal((r.error as { code?: string }).code, 'unauthenticated');
});

test('a transport refuses to send to another origin than its base', async () => {
  const send = () => Promise.resolve({ status: 200, json: {} });
  const api = createApiClient({ baseUrl: 'https://elsewhere.example', fetch: transportFrom(s.url, send) });
  await assert.rejects(api.GET('/api/v1/posture'), /not https:\/\/127\.0\.0\.1/);
});
