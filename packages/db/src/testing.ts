/**
 * Fresh, migrated databases for tests. With DATABASE_URL and DATABASE_ADMIN_URL set, each
 * call creates a new PostgreSQL database (so test files never share state) and the app
 * connects through DATABASE_URL's role; otherwise an in-memory PGlite.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { grantAppRole, runMigrations, ensureRoles, type AdminSession } from './migrate.js';
import { PgliteDatabase } from './pglite.js';
import { PostgresDatabase, pgDriver } from './postgres.js';
import { OWNER_ROLE, ident } from './roles.js';
import type { Database } from './types.js';

// The same pg the databases use, with its int8 parser set before this file's clients read.
pgDriver();

export interface TestDatabase {
  db: Database;
  engine: Database['engine'];
  /** Runs `fn` with full (superuser / migrator) rights: the attacker's or operator's tool. */
  asAdmin<T>(fn: (s: AdminSession) => Promise<T>): Promise<T>;
  /** Connection strings of this database, for tests that start other processes. */
  urls?: { app: string; admin: string };
  close(): Promise<void>;
}

/**
 * The database as a test sees it: each transaction (and admin session) first waits for the
 * post-commit work of earlier ones, such as the audit sequencer chaining what they wrote.
 * So a test reads the state its previous steps settled into. Code under test gets the
 * database itself, never this view (its own post-commit work must not wait for itself).
 */
export function settled<D extends Database>(db: D): D {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'tx') return async (...args: Parameters<Database['tx']>) => (await target.idle(), target.tx(...args));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export function usingPostgres(): boolean {
  return Boolean(process.env.DATABASE_URL && process.env.DATABASE_ADMIN_URL);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!usingPostgres()) {
    const db = await PgliteDatabase.open();
    await db.migrate();
    return {
      db: settled(db),
      engine: 'pglite',
      asAdmin: async (fn) => (await db.idle(), fn(db.admin())),
      close: () => db.close(),
    };
  }
  const appUrl = process.env.DATABASE_URL!;
  const adminUrl = process.env.DATABASE_ADMIN_URL!;
  const name = `parapet_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const root = new pg.Client({ connectionString: adminUrl });
  await root.connect();
  try {
    const s: AdminSession = {
      query: async (sql, params) => {
        const r = await root.query(sql, params);
        return { rows: r.rows, rowCount: r.rowCount ?? 0 };
      },
      exec: async (sql) => void (await root.query(sql)),
      transaction: (fn) => fn(s),
    };
    await ensureRoles(s);
    await root.query(`CREATE DATABASE ${ident(name)} OWNER ${ident(OWNER_ROLE)} TEMPLATE template0`);
  } finally {
    await root.end();
  }
  const dbAdminUrl = withDatabase(adminUrl, name);
  const dbAppUrl = withDatabase(appUrl, name);
  const db = new PostgresDatabase({ url: dbAppUrl, adminUrl: dbAdminUrl, max: 4 });
  await db.withAdmin(async (s) => {
    await runMigrations(s);
    await grantAppRole(s, decodeURIComponent(new URL(appUrl).username));
  });
  return {
    db: settled(db),
    engine: 'postgres',
    asAdmin: async (fn) => (await db.idle(), db.withAdmin(fn)),
    urls: { app: dbAppUrl, admin: dbAdminUrl },
    close: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
