import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PgliteDatabase } from './pglite.js';
import { PostgresDatabase } from './postgres.js';
import { isEmptyDataDir, readTemplate } from './template.js';
import type { Database } from './types.js';

export interface OpenOptions {
  /** PostgreSQL as the app role; absent means embedded PGlite. */
  databaseUrl?: string | undefined;
  databaseAdminUrl?: string | undefined;
  /** Where PGlite keeps its files; absent (with no databaseUrl) means in-memory. */
  dataDir?: string | undefined;
}

export async function openDatabase(o: OpenOptions): Promise<Database> {
  if (o.databaseUrl) return new PostgresDatabase({ url: o.databaseUrl, adminUrl: o.databaseAdminUrl });
  if (o.dataDir) {
    const dir = join(o.dataDir, 'pglite');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // A new data dir starts from the migrated template when `npm install` built one
    // (PARAPET_NO_TEMPLATE=1 runs initdb and every migration instead, for bench/startup).
    const template = isEmptyDataDir(dir) && process.env.PARAPET_NO_TEMPLATE !== '1' ? await readTemplate() : undefined;
    return PgliteDatabase.open(dir, template ? { template } : {});
  }
  return PgliteDatabase.open();
}
