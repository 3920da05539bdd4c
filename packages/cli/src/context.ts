import { loadConfig, type Config } from '@parapet/server';
import { openDatabase, type Database } from '@parapet/db';

/** The CLI reads the same environment as the server (DATABASE_URL, PARAPET_DATA_DIR, …). */
export function cliConfig(): Config {
  return loadConfig();
}

export async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, databaseAdminUrl: config.databaseAdminUrl, dataDir: config.dataDir });
  try {
    // The embedded database migrates whenever it is opened, as the server does.
    if (db.engine === 'pglite') await db.migrate();
    return await fn(db);
  } finally {
    await db.close();
  }
}
