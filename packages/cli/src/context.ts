import { dataDirHolder, loadConfig, type Config } from '@parapet/server';
import { CliError } from './command.js';
import { openDatabase, type Database } from '@parapet/db';

/** The CLI reads the same environment as the server (DATABASE_URL, PARAPET_DATA_DIR, …). */
export function cliConfig(): Config {
  return loadConfig();
}

export async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  if (!config.databaseUrl) {
    // The embedded database is single-process: never open it under a running server.
    const pid = await dataDirHolder(config.dataDir);
    if (pid) throw new CliError(`A Parapet server (pid ${pid}) is using the embedded database in ${config.dataDir}; use the API (or stop the server) for this command.`);
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, databaseAdminUrl: config.databaseAdminUrl, dataDir: config.dataDir });
  try {
    // The embedded database migrates whenever it is opened, as the server does.
    if (db.engine === 'pglite') await db.migrate();
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * One sentence naming the data dir and database a command works on, so a CLI run with another
 * PARAPET_DATA_DIR than the server's is noticed (the password in a DATABASE_URL is never shown).
 */
export function describeTarget(config: Config): string {
  if (config.databaseUrl) {
    let where = 'PostgreSQL';
    try {
      const u = new URL(config.databaseUrl);
      where = `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
    } catch {
      /* not a URL: keep the engine name */
    }
    return `Database: ${where} (DATABASE_URL); data dir ${config.dataDir}.`;
  }
  return `Database: the embedded one in the data dir ${config.dataDir} (PARAPET_DATA_DIR); a server must use the same data dir to see it.`;
}
