/**
 * The catalogue test: it finds every table with a tenant_id column by itself and checks the
 * isolation rules on each, so a table added later without them fails CI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { APP_ROLE, OWNER_ROLE } from '../src/roles.js';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.close());

const TENANT_EXPR = /tenant_id = \(?NULLIF\(current_setting\('app\.tenant_id'(::text)?, true\), ''(::text)?\)\)?::uuid/;

async function tenantTables(): Promise<string[]> {
  return t.asAdmin(async (s) =>
    (
      await s.query<{ t: string }>(
        `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r','p') ORDER BY 1`,
      )
    ).rows.map((r) => r.t),
  );
}

test('there are tenant tables to check', async (ctx) => {
  const tables = await tenantTables();
  ctx.diagnostic(`tenant tables checked by the catalogue: ${tables.length}`);
  assert.ok(tables.includes('users'), `found: ${tables.join(', ')}`);
});

test('every tenant table has RLS enabled and forced, with USING and WITH CHECK keyed on app.tenant_id', async () => {
  const tables = await tenantTables();
  await t.asAdmin(async (s) => {
    for (const table of tables) {
      const c = (await s.query<{ rls: boolean; force: boolean }>(`SELECT relrowsecurity AS rls, relforcerowsecurity AS force FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace`, [table])).rows[0]!;
      assert.ok(c.rls, `${table}: row-level security is not enabled`);
      assert.ok(c.force, `${table}: row-level security is not forced`);
      const pols = (await s.query<{ cmd: string; qual: string | null; check: string | null; permissive: string }>(
        `SELECT cmd, qual, with_check AS check, permissive FROM pg_policies WHERE schemaname = 'public' AND tablename = $1`, [table])).rows;
      const reads = pols.filter((p) => p.cmd === 'SELECT' || p.cmd === 'ALL');
      const writes = pols.filter((p) => ['INSERT', 'UPDATE', 'ALL'].includes(p.cmd));
      assert.ok(reads.length > 0, `${table}: no read (USING) policy`);
      assert.ok(writes.some((p) => p.check), `${table}: no write (WITH CHECK) policy`);
      for (const p of pols) {
        assert.equal(p.permissive, 'PERMISSIVE', `${table}: restrictive policies are not expected`);
        if (p.qual) assert.match(p.qual.replace(/\s+/g, ' '), TENANT_EXPR, `${table}: ${p.cmd} USING is not keyed on app.tenant_id: ${p.qual}`);
        if (p.check) assert.match(p.check.replace(/\s+/g, ' '), TENANT_EXPR, `${table}: ${p.cmd} WITH CHECK is not keyed on app.tenant_id: ${p.check}`);
      }
    }
  });
});

test('every unique key and foreign key on a tenant table includes tenant_id; every index leads with it', async () => {
  const tables = await tenantTables();
  await t.asAdmin(async (s) => {
    for (const table of tables) {
      const idx = (await s.query<{ name: string; uniq: boolean; first: string; cols: string[] }>(
        `SELECT i.relname AS name, x.indisunique AS uniq,
                (SELECT attname FROM pg_attribute WHERE attrelid = x.indrelid AND attnum = x.indkey[0]) AS first,
                ARRAY(SELECT a.attname::text FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k) AS cols
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass`, [table])).rows;
      for (const i of idx) {
        assert.equal(i.first, 'tenant_id', `${table}: index ${i.name} does not lead with tenant_id`);
        if (i.uniq) assert.ok(i.cols.includes('tenant_id'), `${table}: unique index ${i.name} lacks tenant_id`);
      }
      const fks = (await s.query<{ name: string; cols: string[]; ref: string }>(
        `SELECT conname AS name, confrelid::regclass::text AS ref,
                ARRAY(SELECT a.attname::text FROM unnest(conkey) k JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k) AS cols
           FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass`, [table])).rows;
      for (const f of fks) {
        // A reference to the tenants table itself is by tenant_id; any other must be composite.
        if (f.ref === 'tenants') assert.deepEqual(f.cols, ['tenant_id'], `${table}: ${f.name}`);
        else assert.ok(f.cols.includes('tenant_id'), `${table}: foreign key ${f.name} to ${f.ref} lacks tenant_id`);
      }
    }
  });
});

test('the owner role owns every table; the app role owns none and may never TRUNCATE', async () => {
  await t.asAdmin(async (s) => {
    const owners = (await s.query<{ t: string; owner: string }>(
      `SELECT c.relname AS t, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r','p','v','m','S')`)).rows;
    assert.ok(owners.length > 0);
    for (const o of owners) assert.equal(o.owner, OWNER_ROLE, `${o.t} is owned by ${o.owner}`);
    const trunc = (await s.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND has_table_privilege($1, c.oid, 'TRUNCATE')`, [APP_ROLE])).rows;
    assert.deepEqual(trunc, [], 'app role can TRUNCATE');
    const owner = (await s.query<{ login: boolean; su: boolean }>(`SELECT rolcanlogin AS login, rolsuper AS su FROM pg_roles WHERE rolname = $1`, [OWNER_ROLE])).rows[0]!;
    assert.equal(owner.login, false, 'owner role must be NOLOGIN');
    assert.equal(owner.su, false, 'owner role must not be superuser');
    const app = (await s.query<{ su: boolean; bypass: boolean }>(`SELECT rolsuper AS su, rolbypassrls AS bypass FROM pg_roles WHERE rolname = $1`, [APP_ROLE])).rows[0]!;
    assert.equal(app.su, false);
    assert.equal(app.bypass, false);
  });
});

test('the app role cannot create tables (it owns nothing, now or later)', async () => {
  await assert.rejects(
    t.db.tx({}, (q) => q.query(`CREATE TABLE sneaky (id int)`)),
    (e: { code?: string }) => e.code === '42501',
  );
});
