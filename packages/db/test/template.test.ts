/**
 * The migrated PGlite template (src/template.ts): a data dir unpacked from it holds the same
 * schema as one that ran initdb and every migration (tables, row-level security enabled and
 * forced, policies, roles, recorded migrations with their checksums), `migrate()` then has
 * nothing to do, a data dir that already has a database ignores it, and the template's name
 * changes with any migration's checksum.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { buildTemplate, isEmptyDataDir, loadMigrations, PgliteDatabase, templatePath, type AdminSession } from '@parapet/db';
import { usingPostgres } from '@parapet/db/testing';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tmp = async (p: string) => {
  const d = await mkdtemp(join(tmpdir(), p));
  dirs.push(d);
  return d;
};

/** Everything about the schema that isolation depends on, in a stable order. */
async function schemaFacts(s: AdminSession): Promise<unknown> {
  const q = async (sql: string) => (await s.query(sql)).rows;
  return {
    tables: await q(`SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`),
    columns: await q(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`),
    policies: await q(`SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`),
    grants: await q(`SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants WHERE table_schema = 'public' ORDER BY 1, 2, 3`),
    roles: await q(`SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname LIKE 'parapet%' ORDER BY 1`),
    migrations: await q(`SELECT version, name, checksum FROM parapet_schema_migrations ORDER BY 1`),
  };
}

test('a data dir unpacked from the template has the migrated schema; migrate() finds nothing to do', { skip: usingPostgres() ? 'the template is for the embedded engine' : false, timeout: 600_000 }, async () => {
  const cache = await tmp('parapet-template-cache-');
  const built = await buildTemplate(cache);
  assert.equal(built.built, true);
  assert.equal((await buildTemplate(cache)).built, false, 'an up-to-date template is not rebuilt');
  const template = await readFile(built.path);

  const reference = await PgliteDatabase.open();
  await reference.migrate();
  const dir = await tmp('parapet-template-dir-');
  assert.equal(isEmptyDataDir(dir), true);
  const fromTemplate = await PgliteDatabase.open(dir, { template });
  try {
    assert.equal(isEmptyDataDir(dir), false, 'the template was written into the data dir');
    assert.deepEqual(await schemaFacts(fromTemplate.admin()), await schemaFacts(reference.admin()));
    const report = await fromTemplate.migrate();
    assert.deepEqual(report.applied, []);
    assert.equal(report.alreadyApplied, (await loadMigrations()).length);
    assert.deepEqual(await fromTemplate.pendingMigrations(), []);
    // Data written after unpacking survives a reopen, which ignores the template.
    await fromTemplate.admin().exec(`CREATE TABLE template_probe (x int); INSERT INTO template_probe VALUES (42)`);
  } finally {
    await fromTemplate.close();
    await reference.close();
  }
  const reopened = await PgliteDatabase.open(dir, { template });
  try {
    assert.deepEqual((await reopened.admin().query<{ x: number }>(`SELECT x FROM template_probe`)).rows, [{ x: 42 }]);
  } finally {
    await reopened.close();
  }
});

test("the template's name changes with any migration's checksum", async () => {
  const a = await templatePath('/x');
  assert.match(a, /^\/x\/pglite-[0-9a-f]{24}\.tar\.gz$/);
  assert.equal(await templatePath('/x'), a, 'stable for the same migrations');
  // A copy of the migrations with one byte changed in the last file names another template.
  const { MIGRATIONS_DIR } = await import('@parapet/db');
  const migs = await loadMigrations();
  const copy = await tmp('parapet-migrations-');
  for (const m of migs) await writeFile(join(copy, `${m.version}_${m.name}.sql`), m.sql);
  const last = migs[migs.length - 1]!;
  await writeFile(join(copy, `${last.version}_${last.name}.sql`), last.sql + '\n-- changed\n');
  assert.notEqual(await templatePath('/x', copy + '/'), a);
  assert.equal(await templatePath('/x', MIGRATIONS_DIR), a);
});
