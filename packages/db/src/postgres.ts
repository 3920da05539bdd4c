import { createRequire } from 'node:module';
import type pg from 'pg';
import { contextStatement } from './context.js';
import { grantAppRole, pendingVersions, runMigrations, type AdminSession } from './migrate.js';
import { OWNER_ROLE } from './roles.js';
import { PostCommitWork, type AfterCommit } from './post-commit.js';
import type { Database, MigrationReport, Queryable, QueryResult, TxContext } from './types.js';

let pgModule: typeof pg | undefined;
/**
 * The pg driver, loaded with the first PostgreSQL connection rather than with this module: a
 * server on the embedded database never needs it (bench/startup). Sets int8 to parse as a JS
 * number (sequence numbers stay far below 2^53), like PGlite does.
 */
export function pgDriver(): typeof pg {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)('pg') as typeof pg;
    pgModule.types.setTypeParser(20, (v: string) => Number(v));
  }
  return pgModule;
}

function wrap(c: pg.ClientBase | pg.Pool): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const r = await c.query(sql, params);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
    },
  };
}

function adminOf(c: pg.ClientBase): AdminSession {
  return {
    ...wrap(c),
    async exec(sql: string) {
      await c.query(sql);
    },
    async transaction<T>(fn: (s: AdminSession) => Promise<T>): Promise<T> {
      await c.query('BEGIN');
      try {
        const out = await fn(adminOf(c));
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      }
    },
  };
}

/** Why this login role must not run the application, or [] when it is fit. */
export async function unsafeRoleReasons(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ user: string; su: boolean; bypass: boolean; owned: number; owner_member: boolean }>(
    `SELECT current_user AS user, r.rolsuper AS su, r.rolbypassrls AS bypass,
            (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid AND c.relkind IN ('r','p','v','m','S')
               AND c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog','information_schema'))) AS owned,
            EXISTS (SELECT 1 FROM pg_roles o WHERE o.rolname = $1 AND pg_has_role(r.oid, o.oid, 'MEMBER')) AS owner_member
       FROM pg_roles r WHERE r.rolname = current_user`,
    [OWNER_ROLE],
  );
  const r = rows[0]!;
  const why: string[] = [];
  if (r.su) why.push(`role ${r.user} is a superuser, which bypasses row-level security`);
  if (r.bypass) why.push(`role ${r.user} has BYPASSRLS`);
  if (r.owned > 0) why.push(`role ${r.user} owns ${r.owned} table(s); table owners can switch row-level security off`);
  if (r.owner_member) why.push(`role ${r.user} is a member of ${OWNER_ROLE} and could SET ROLE to it`);
  return why;
}

export class UnsafeRoleError extends Error {
  override name = 'UnsafeRoleError';
}

export interface PostgresOptions {
  url: string;
  adminUrl?: string | undefined;
  max?: number;
}

export class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly postCommit = new PostCommitWork();
  /** Prepared statement names of `statement` calls, by SQL text. */
  private readonly statementNames = new Map<string, string>();

  /** The application connection string, for helpers that open their own connection (a worker thread). */
  get url(): string {
    return this.opts.url;
  }

  constructor(private readonly opts: PostgresOptions) {
    this.pool = new (pgDriver().Pool)({ connectionString: opts.url, max: opts.max ?? 10, application_name: 'parapet' });
    // An idle connection the server ended (restart, failover, pg_terminate_backend) is
    // dropped by the pool and replaced on next use; unhandled, the event would kill the process.
    this.pool.on('error', () => undefined);
  }

  /** Refuses to run the application as a role that could see past RLS. */
  async assertSafeRole(): Promise<void> {
    const why = await unsafeRoleReasons(wrap(this.pool));
    if (why.length) throw new UnsafeRoleError(`Refusing to start: ${why.join('; ')}. Connect DATABASE_URL as a plain login role that is a member of parapet_app.`);
  }

  async tx<T>(ctx: TxContext, fn: (q: Queryable) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      // BEGIN and the transaction-local context in one round trip (every request pays it).
      await c.query(`BEGIN; ${contextStatement(ctx, (s) => c.escapeLiteral(s))}`);
      const queue: AfterCommit[] = [];
      const q = this.postCommit.attach(wrap(c), queue);
      const out = await fn(q);
      await c.query('COMMIT');
      this.postCommit.run(this, queue);
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /**
   * One autocommit statement on a pooled connection: a single round trip, as a named prepared
   * statement so each connection parses and plans it once. See `Database.statement`.
   */
  async statement<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    let name = this.statementNames.get(sql);
    if (name === undefined) this.statementNames.set(sql, (name = `parapet_s${this.statementNames.size}`));
    const r = await this.pool.query({ name, text: sql, values: params ?? [] });
    return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
  }

  /** Runs `fn` with a migrator connection from DATABASE_ADMIN_URL. */
  async withAdmin<T>(fn: (s: AdminSession) => Promise<T>): Promise<T> {
    if (!this.opts.adminUrl) throw new Error('DATABASE_ADMIN_URL is not set; it is needed to migrate PostgreSQL.');
    const c = new (pgDriver().Client)({ connectionString: this.opts.adminUrl, application_name: 'parapet-migrate' });
    await c.connect();
    try {
      return await fn(adminOf(c));
    } finally {
      await c.end();
    }
  }

  async migrate(): Promise<MigrationReport> {
    const loginRole = new URL(this.opts.url).username || process.env.PGUSER || '';
    return this.withAdmin(async (s) => {
      const report = await runMigrations(s);
      if (loginRole) await grantAppRole(s, decodeURIComponent(loginRole));
      return report;
    });
  }

  pendingMigrations(): Promise<string[]> {
    return this.tx({}, (q) => pendingVersions(q));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  idle(): Promise<void> {
    return this.postCommit.idle();
  }

  async close(): Promise<void> {
    await this.idle();
    await this.pool.end();
  }
}
