import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { APP_ROLE, OWNER_ROLE, ident } from './roles.js';
import type { MigrationReport, Queryable } from './types.js';

/** A connection with migrator rights: it may run multi-statement SQL and transactions. */
export interface AdminSession extends Queryable {
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (s: AdminSession) => Promise<T>): Promise<T>;
}

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
const MIGRATIONS_TABLE = 'parapet_schema_migrations';
// Arbitrary constant: every migrator takes the same advisory lock, so two never interleave.
const MIGRATE_LOCK = 727_274_001;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(dir + file, 'utf8');
    out.push({
      version: file.slice(0, 4),
      name: file.slice(5, -4),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.version)) throw new MigrationError(`Two migrations share version ${m.version}.`);
    seen.add(m.version);
  }
  return out;
}

/**
 * Creates the NOLOGIN owner and application group roles when missing, and lets the owner
 * create objects in the public schema. Needs CREATEROLE (or superuser) the first time only.
 */
export async function ensureRoles(s: AdminSession): Promise<void> {
  for (const role of [OWNER_ROLE, APP_ROLE]) {
    const { rows } = await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1`, [role]);
    if (rows[0]!.n === 0) {
      try {
        await s.exec(`CREATE ROLE ${ident(role)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
      } catch (e) {
        throw new MigrationError(`Role ${role} does not exist and the migrator cannot create it (${(e as Error).message}); create it or migrate as a role with CREATEROLE.`);
      }
    }
  }
  const me = await s.query<{ su: boolean; member: boolean }>(
    `SELECT rolsuper AS su, pg_has_role(current_user, $1, 'MEMBER') AS member FROM pg_roles WHERE rolname = current_user`,
    [OWNER_ROLE],
  );
  if (!me.rows[0]!.su && !me.rows[0]!.member) {
    await s.exec(`GRANT ${ident(OWNER_ROLE)} TO current_user`);
  }
  const can = await s.query<{ ok: boolean }>(`SELECT has_schema_privilege($1, 'public', 'CREATE') AS ok`, [OWNER_ROLE]);
  if (!can.rows[0]!.ok) {
    try {
      await s.exec(`GRANT USAGE, CREATE ON SCHEMA public TO ${ident(OWNER_ROLE)}`);
    } catch (e) {
      throw new MigrationError(`Role ${OWNER_ROLE} cannot create tables in schema public and the migrator cannot grant it (${(e as Error).message}).`);
    }
  }
  await s.exec(`GRANT USAGE ON SCHEMA public TO ${ident(APP_ROLE)}`);
}

/** Makes a login role (the one in DATABASE_URL) a member of the application group role. */
export async function grantAppRole(s: AdminSession, loginRole: string): Promise<void> {
  await s.exec(`GRANT ${ident(APP_ROLE)} TO ${ident(loginRole)}`);
}

/**
 * Applies the migrations the database lacks, in version order, each in its own transaction
 * under an advisory lock (so two migrators never interleave). A migration recorded with
 * another checksum than its file's throws MigrationError.
 *
 * When every migration is recorded already with its checksum (every start after the first),
 * that one read is all it does: no role checks, no lock, no DDL.
 */
export async function runMigrations(s: AdminSession, migrations?: Migration[]): Promise<MigrationReport> {
  const all = migrations ?? (await loadMigrations());
  if (await allApplied(s, all)) return { applied: [], alreadyApplied: all.length };
  await ensureRoles(s);
  await s.query(`SELECT pg_advisory_lock($1)`, [MIGRATE_LOCK]);
  try {
    await s.transaction(async (t) => {
      await t.exec(`SET LOCAL ROLE ${ident(OWNER_ROLE)};
        CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
          version text PRIMARY KEY,
          name text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );
        GRANT SELECT ON ${MIGRATIONS_TABLE} TO ${ident(APP_ROLE)};`);
    });
    const done = new Map(
      (await s.query<{ version: string; checksum: string }>(`SELECT version, checksum FROM ${MIGRATIONS_TABLE}`)).rows.map(
        (r) => [r.version, r.checksum],
      ),
    );
    const applied: string[] = [];
    for (const m of all) {
      const prior = done.get(m.version);
      if (prior !== undefined) {
        if (prior !== m.checksum) {
          throw new MigrationError(`Migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead.`);
        }
        continue;
      }
      await s.transaction(async (t) => {
        await t.exec(`SET LOCAL ROLE ${ident(OWNER_ROLE)}`);
        try {
          await t.exec(m.sql);
        } catch (e) {
          throw new MigrationError(`Migration ${m.version}_${m.name} failed: ${(e as Error).message}`);
        }
        await t.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [m.version, m.name, m.checksum]);
      });
      applied.push(`${m.version}_${m.name}`);
    }
    return { applied, alreadyApplied: all.length - applied.length };
  } finally {
    await s.query(`SELECT pg_advisory_unlock($1)`, [MIGRATE_LOCK]);
  }
}

/** True when the migrations table records exactly these checksums for every migration in `all`. */
async function allApplied(s: AdminSession, all: Migration[]): Promise<boolean> {
  const exists = await s.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.t) return false;
  const done = new Map((await s.query<{ version: string; checksum: string }>(`SELECT version, checksum FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => [r.version, r.checksum]));
  return all.every((m) => done.get(m.version) === m.checksum);
}

/** Versions in code that the database lacks. Runs as the app role (SELECT only). */
export async function pendingVersions(q: Queryable, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations());
  let have: Set<string>;
  try {
    have = new Set((await q.query<{ version: string }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => r.version));
  } catch {
    have = new Set();
  }
  return all.filter((m) => !have.has(m.version)).map((m) => `${m.version}_${m.name}`);
}
