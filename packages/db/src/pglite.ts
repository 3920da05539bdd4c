import { PGlite, type Transaction } from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isEmptyDataDir } from './template.js';
import { applyContext } from './context.js';
import { runMigrations, pendingVersions, type AdminSession } from './migrate.js';
import { APP_ROLE, ident } from './roles.js';
import { PostCommitWork, type AfterCommit } from './post-commit.js';
import type { Database, MigrationReport, Queryable, QueryResult, TxContext } from './types.js';

// Same shapes as the pg driver gives, so one test suite passes on both engines.
const parsers = {
  17: (v: string) => Buffer.from(v.slice(2), 'hex'),
};

type PgliteLike = Pick<PGlite, 'query' | 'exec'> | Transaction;

// The global WebAssembly object (Node's types declare its types but not the value).
const wasm32 = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

/**
 * Settings for the embedded PostgreSQL beyond PGlite's own. shared_buffers: initdb's 128 MB is
 * zeroed at every open, some 15 % of the CPU of opening a data dir (bench/startup); one
 * connection evaluating Parapet does not use it, and pages not in it are one read away.
 */
const START_SETTINGS = ['-c', 'shared_buffers=32MB'];

type Prepared = { pgliteWasmModule?: WebAssembly.Module; fsBundle?: Blob };
let prepared: Promise<Prepared> | undefined;

/**
 * Starts what opening an embedded database needs before it can boot PostgreSQL: compiling
 * PGlite's WebAssembly (some 9 MB, on V8's background threads) and reading its file-system
 * bundle. `npm start` calls it first thing, so this runs while the rest of the server's
 * modules load on the main thread; `PgliteDatabase.open` then finds both ready. Idempotent;
 * touches no data dir. When PGlite's files are not where this version keeps them, or the
 * compile fails, `open` lets PGlite load them itself.
 */
export function preparePglite(): Promise<Prepared> {
  return (prepared ??= (async (): Promise<Prepared> => {
    try {
      const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
      const wasm = join(dist, 'pglite.wasm');
      const data = join(dist, 'pglite.data');
      if (!existsSync(wasm) || !existsSync(data)) return {};
      const [pgliteWasmModule, bundle] = await Promise.all([readFile(wasm).then((b) => wasm32.compile(b)), readFile(data)]);
      return { pgliteWasmModule, fsBundle: new Blob([bundle]) };
    } catch {
      return {};
    }
  })());
}

function wrap(c: PgliteLike): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const r = await c.query<R>(sql, params as unknown[] | undefined);
      // PGlite counts only affected rows; pg counts SELECT rows too. max() agrees with pg for both.
      return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
    },
  };
}

function adminOf(db: PGlite, c: PgliteLike = db): AdminSession {
  return {
    ...wrap(c),
    async exec(sql: string) {
      await c.exec(sql);
    },
    async transaction<T>(fn: (s: AdminSession) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn(adminOf(db, tx)));
    },
  };
}

/**
 * Embedded PostgreSQL. Evaluation only: everything runs in this process as one superuser
 * connection, and each transaction drops to the app role with SET LOCAL ROLE. That makes
 * RLS apply to our queries, but it is not a boundary: code in the process can SET ROLE back.
 */
export class PgliteDatabase implements Database {
  readonly engine = 'pglite' as const;
  private readonly postCommit = new PostCommitWork();
  private constructor(private readonly db: PGlite) {}

  /**
   * `dataDir` undefined means in-memory. `template` (a `dumpDataDir` tar archive, see
   * template.ts) is unpacked into a data dir that holds no database yet instead of running
   * initdb; it is ignored for a data dir that has one.
   */
  static async open(dataDir?: string, o: { template?: Uint8Array } = {}): Promise<PgliteDatabase> {
    const load = o.template && (!dataDir || isEmptyDataDir(dataDir)) ? { loadDataDir: new Blob([o.template]) } : {};
    const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...load, ...(await preparePglite()), parsers, startParams: [...PGlite.defaultStartParams, ...START_SETTINGS] });
    return new PgliteDatabase(db);
  }

  /** The whole data dir as a gzip-compressed tar archive (PGlite's dump format), for templates. */
  async dumpDataDir(): Promise<Buffer> {
    const f = await this.db.dumpDataDir('gzip');
    return Buffer.from(await f.arrayBuffer());
  }

  async tx<T>(ctx: TxContext, fn: (q: Queryable) => Promise<T>): Promise<T> {
    const queue: AfterCommit[] = [];
    const out = await this.db.transaction(async (t) => {
      await t.query(`SET LOCAL ROLE ${ident(APP_ROLE)}`);
      const q = this.postCommit.attach(wrap(t), queue);
      await applyContext(q, ctx);
      return fn(q);
    });
    this.postCommit.run(this, queue);
    return out;
  }

  /** See `Database.statement`: PGlite connects as superuser, so the role is set for the transaction. */
  async statement<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.db.transaction(async (t) => {
      await t.query(`SET LOCAL ROLE ${ident(APP_ROLE)}`);
      return wrap(t).query<R>(sql, params);
    });
  }

  /** Superuser access for migrations and tests that play the attacker. */
  admin(): AdminSession {
    return adminOf(this.db);
  }

  migrate(): Promise<MigrationReport> {
    return runMigrations(this.admin());
  }

  pendingMigrations(): Promise<string[]> {
    return this.tx({}, (q) => pendingVersions(q));
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  idle(): Promise<void> {
    return this.postCommit.idle();
  }

  async close(): Promise<void> {
    await this.idle();
    if (!this.db.closed) await this.db.close();
  }
}
