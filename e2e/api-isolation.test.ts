/**
 * API-level tenant isolation (CORE-TENANT): every route in the OpenAPI document that takes a
 * path parameter is called by tenant B's admin (with fresh MFA, so step-up is no excuse) with
 * every id that tenant A owns, in every tenant table. No call may succeed, and no response may
 * carry A's id. The sweep finds routes and ids by itself, so new endpoints are covered as they land.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { seedTenant } from './seed.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

async function idsOf(tenantId: string): Promise<Map<string, string[]>> {
  return s.asAdmin(async (a) => {
    const tables = (await a.query<{ t: string; idcol: string }>(
      `SELECT c.relname AS t, ia.attname AS idcol
         FROM pg_class c
         JOIN pg_attribute ta ON ta.attrelid = c.oid AND ta.attname = 'tenant_id' AND NOT ta.attisdropped
         JOIN pg_attribute ia ON ia.attrelid = c.oid AND NOT ia.attisdropped AND ia.attnum > 0
              AND ia.attname <> 'tenant_id' AND (ia.atttypid = 'uuid'::regtype OR ia.attname = 'id')
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`,
    )).rows;
    const out = new Map<string, string[]>();
    for (const { t, idcol } of tables) {
      const rows = (await a.query<{ v: string }>(`SELECT DISTINCT ${idcol}::text AS v FROM ${t} WHERE tenant_id = $1 AND ${idcol} IS NOT NULL LIMIT 20`, [tenantId])).rows;
      if (rows.length) out.set(`${t}.${idcol}`, rows.map((r) => r.v));
    }
    return out;
  });
}

test("tenant B's admin cannot reach any of tenant A's objects through any route with a path parameter", async (t) => {
  const a = await loginAs(s, { roles: ['admin', 'security_lead', 'auditor'], mfaFresh: true });
  await seedTenant(s, a);
  const b = await loginAs(s, { roles: ['admin', 'security_lead', 'auditor'], mfaFresh: true });
  await seedTenant(s, b);

  const spec = (await b.client.get('/api/v1/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(spec.paths)
    .filter(([path]) => /\{[^}]+\}/.test(path))
    .flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => ({ method: m.toUpperCase(), path })));
  const before = await idsOf(a.tenantId);
  const ids = [...new Set([...before.values()].flat()), a.tenantId];
  t.diagnostic(`routes with path parameters: ${routes.length}; tenant A ids: ${ids.length}`);
  assert.ok(routes.length >= 10, 'the sweep found the routes');
  assert.ok(ids.length >= 10, 'the seed gave tenant A objects in several domains');

  let calls = 0;
  for (const r of routes) {
    for (const id of ids) {
      const url = r.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
      const res = await b.client.request(r.method, url, r.method === 'GET' || r.method === 'DELETE' ? {} : { json: {} });
      calls++;
      assert.ok(res.status >= 400, `${r.method} ${url} answered ${res.status} to tenant B: ${res.text.slice(0, 200)}`);
      assert.ok(!res.text.includes(a.email), `${r.method} ${url} revealed tenant A's user`);
    }
  }
  t.diagnostic(`cross-tenant calls made: ${calls}, all refused`);
  // Tenant A's data is still whole after B's attempts (DELETE/POST did nothing).
  const afterwards = await idsOf(a.tenantId);
  for (const [k, v] of before) assert.deepEqual(afterwards.get(k)?.sort(), [...v].sort(), `${k} changed`);
});
