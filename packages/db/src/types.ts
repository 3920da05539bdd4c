/** The smallest query surface both engines share. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /**
   * Inside `Database.tx` only: run `fn` once this transaction has committed (never after a
   * rollback). The database tracks the promise; `idle()` and `close()` wait for it.
   */
  afterCommit?(fn: (db: Database) => Promise<unknown> | void): void;
}

/**
 * What a transaction runs as. Every field is set with set_config(..., true), so it lives
 * exactly as long as the transaction and never leaks to the next user of the connection.
 */
export interface TxContext {
  /** The tenant every RLS policy is keyed on. Absent: the transaction sees no tenant rows. */
  tenantId?: string | null;
  /** Who acts, e.g. `user:<id>`, `device:<id>`, `system:<job>`. Read by audit triggers. */
  actor?: string | null;
  /** Declared purpose for data reads (Pulse). */
  purpose?: string | null;
  /** Pre-authentication lookup of one tenant by its slug (login form). */
  tenantSlug?: string | null;
  /** System jobs: make the tenants table (only) list every tenant. */
  listTenants?: boolean;
}

export type Engine = 'pglite' | 'postgres';

export interface Database {
  readonly engine: Engine;
  /** Run `fn` in one transaction as the application role with `ctx` applied. */
  tx<T>(ctx: TxContext, fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Run one statement in its own transaction as the application role with an empty context
   * (no tenant: RLS shows no tenant rows unless the statement sets `app.tenant_id` itself, as
   * a function such as `device_request_accept` does). On PostgreSQL this is one round trip,
   * where `tx` needs four; for hot paths.
   */
  statement<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Run migrations (needs owner / migrator rights). */
  migrate(): Promise<MigrationReport>;
  /** Versions known to the code that the database has not applied yet. */
  pendingMigrations(): Promise<string[]>;
  /** Resolves when no post-commit work (see `Queryable.afterCommit`) is running. */
  idle(): Promise<void>;
  /** A cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}
