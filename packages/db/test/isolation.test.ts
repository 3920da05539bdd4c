/**
 * Tenant isolation at the SQL level: hand-written queries as the app role. The same file runs
 * on PGlite and on real PostgreSQL (CI runs both).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { isRlsViolation, unsafeRoleReasons, PostgresDatabase } from '../src/index.js';

let t: TestDatabase;
const A = randomUUID();
const B = randomUUID();
let userA = '';
let userB = '';

before(async () => {
  t = await createTestDatabase();
  for (const [id, slug] of [[A, 'org-a'], [B, 'org-b']] as const) {
    await t.db.tx({ tenantId: id }, async (q) => {
      await q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, [id, slug]);
      const u = await q.query<{ id: string }>(`INSERT INTO users (tenant_id, email) VALUES ($1, 'same@example.com') RETURNING id`, [id]);
      if (id === A) userA = u.rows[0]!.id;
      else userB = u.rows[0]!.id;
    });
  }
});
after(() => t.close());

const asA = <T>(fn: Parameters<TestDatabase['db']['tx']>[1]) => t.db.tx({ tenantId: A, actor: 'test' }, fn) as Promise<T>;

test('with no tenant set, every tenant table reads as empty', async () => {
  await t.db.tx({}, async (q) => {
    assert.equal((await q.query(`SELECT * FROM users`)).rows.length, 0);
    assert.equal((await q.query(`SELECT * FROM tenants`)).rows.length, 0);
  });
});

test('a tenant reads only its own rows', async () => {
  await asA(async (q) => {
    const rows = (await q.query<{ tenant_id: string }>(`SELECT tenant_id FROM users`)).rows;
    assert.deepEqual(rows.map((r) => r.tenant_id), [A]);
    assert.equal((await q.query(`SELECT * FROM users WHERE id = $1`, [userB])).rows.length, 0);
    assert.equal((await q.query(`SELECT * FROM users WHERE tenant_id = $1`, [B])).rows.length, 0);
    assert.deepEqual((await q.query<{ id: string }>(`SELECT id FROM tenants`)).rows.map((r) => r.id), [A]);
  });
});

test("inserting into another tenant is refused by WITH CHECK", async () => {
  await assert.rejects(
    asA((q) => q.query(`INSERT INTO users (tenant_id, email) VALUES ($1, 'x@example.com')`, [B])),
    (e) => isRlsViolation(e),
  );
});

test("updating another tenant's row touches nothing; moving a row to another tenant is refused", async () => {
  const n = await asA((q) => q.query(`UPDATE users SET display_name = 'pwned' WHERE id = $1`, [userB]));
  assert.equal((n as { rowCount: number }).rowCount, 0);
  await assert.rejects(asA((q) => q.query(`UPDATE users SET tenant_id = $1 WHERE id = $2`, [B, userA])), (e) => isRlsViolation(e));
  await t.db.tx({ tenantId: B }, async (q) => {
    assert.equal((await q.query<{ display_name: string }>(`SELECT display_name FROM users WHERE id = $1`, [userB])).rows[0]!.display_name, '');
  });
});

test("deleting another tenant's row deletes nothing", async () => {
  const n = await asA((q) => q.query(`DELETE FROM users WHERE id = $1 OR tenant_id = $2`, [userB, B]));
  assert.equal((n as { rowCount: number }).rowCount, 0);
  const left = await t.db.tx({ tenantId: B }, (q) => q.query(`SELECT 1 FROM users`));
  assert.equal(left.rows.length, 1);
});

test('the same email in two tenants does not collide (unique keys include tenant_id)', async () => {
  await t.db.tx({ tenantId: B }, async (q) => {
    assert.equal((await q.query(`SELECT 1 FROM users WHERE email = 'same@example.com'`)).rows.length, 1);
  });
});

test('creating a tenant requires the transaction to name it; updating another tenant does nothing', async () => {
  await assert.rejects(asA((q) => q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, 'org-c', 'c')`, [randomUUID()])), (e) => isRlsViolation(e));
  const n = await asA((q) => q.query(`UPDATE tenants SET name = 'pwned' WHERE id = $1`, [B]));
  assert.equal((n as { rowCount: number }).rowCount, 0);
});

test('the pre-auth slug lookup reveals exactly one tenant and none of its users', async () => {
  await t.db.tx({ tenantSlug: 'org-b' }, async (q) => {
    assert.deepEqual((await q.query<{ id: string }>(`SELECT id FROM tenants`)).rows.map((r) => r.id), [B]);
    assert.equal((await q.query(`SELECT 1 FROM users`)).rows.length, 0);
  });
});

test('listing tenants for system jobs opens the tenants table only', async () => {
  await t.db.tx({ listTenants: true }, async (q) => {
    const ids = (await q.query<{ id: string }>(`SELECT id FROM tenants`)).rows.map((r) => r.id);
    assert.ok(ids.includes(A) && ids.includes(B));
    assert.equal((await q.query(`SELECT 1 FROM users`)).rows.length, 0);
    await assert.rejects(q.query(`UPDATE tenants SET name = 'x' WHERE id = $1 RETURNING id`, [A]).then((r) => { if (r.rowCount === 0) throw Object.assign(new Error('no row'), { code: 'none' }); }));
  });
});

test('settings are transaction-local: the next transaction on the same connection sees nothing', async () => {
  await asA(async (q) => {
    assert.equal((await q.query(`SELECT 1 FROM users`)).rows.length, 1);
  });
  for (let i = 0; i < 5; i++) {
    await t.db.tx({}, async (q) => {
      assert.equal((await q.query<{ v: string }>(`SELECT current_setting('app.tenant_id', true) AS v`)).rows[0]!.v, '');
      assert.equal((await q.query(`SELECT 1 FROM users`)).rows.length, 0);
    });
  }
});

test('context values reach the transaction exactly, quotes and backslashes included (no SQL injection through them)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\u0000/g, '')), async (actor) => {
      await t.db.tx({ tenantId: A, actor, purpose: `p'${actor}\\` }, async (q) => {
        const r = (await q.query<{ a: string; p: string; t: string }>(`SELECT current_setting('app.actor', true) AS a, current_setting('app.purpose', true) AS p, current_setting('app.tenant_id', true) AS t`)).rows[0]!;
        assert.deepEqual(r, { a: actor, p: `p'${actor}\\`, t: A });
      });
    }),
    { numRuns: 60, examples: [["x', true), set_config('app.tenant_id', 'evil', true); --"], ['\\'], ["'"], ["E'\\'"]] },
  );
});

test('the app role cannot switch RLS off or change a table', async () => {
  for (const sql of [`ALTER TABLE users DISABLE ROW LEVEL SECURITY`, `ALTER TABLE users NO FORCE ROW LEVEL SECURITY`, `DROP POLICY users_tenant_read ON users`, `TRUNCATE users`]) {
    await assert.rejects(asA((q) => q.query(sql)), (e: { code?: string }) => e.code === '42501', sql);
  }
});

test('PostgreSQL: the app login role is fit; a superuser connection is refused with reasons', async (ctx) => {
  if (t.engine !== 'postgres') return ctx.skip('needs PostgreSQL');
  await t.db.tx({}, async (q) => assert.deepEqual(await unsafeRoleReasons(q), []));
  const superDb = new PostgresDatabase({ url: t.urls!.admin });
  try {
    await assert.rejects(superDb.assertSafeRole(), /superuser/);
  } finally {
    await superDb.close();
  }
  // The app login role cannot become the owner.
  await assert.rejects(asA((q) => q.query(`SET ROLE parapet_owner`)), (e: { code?: string }) => e.code === '42501');
});
