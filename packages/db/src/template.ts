/**
 * A migrated embedded-database template, so that a new PGlite data dir starts from a copy
 * instead of running initdb and every migration (initdb dominates a first `npm start`: 5 to
 * 18 s on this 2-core machine, against under 1 s to unpack a copy; see bench/startup).
 *
 * The template is PGlite's own data-dir dump (`dumpDataDir`, a gzip-compressed tar archive) of an in-memory
 * database after `runMigrations`, written by `npm install` (the root `prepare` script runs
 * `node --import tsx packages/db/bin/build-template.ts`) to
 * `node_modules/.cache/parapet/pglite-<key>.tar.gz`. The key is SHA-256 over the PGlite version
 * and every migration's file name and checksum, so a changed, added or removed migration, or
 * another PGlite, never loads a stale template: the data dir is then created the slow way.
 * After loading, the server still runs `migrate()`, which finds nothing to do and verifies
 * the recorded checksums like on any later start.
 *
 * Nothing in the template is secret or per-installation: migrations create schema, roles and
 * policies only; organisations, keys and users are made by `parapet init` afterwards.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from './migrate.js';

const require = createRequire(import.meta.url);

/** Where templates are kept: the workspace's node_modules/.cache (deleted with node_modules). */
export const TEMPLATE_DIR = join(fileURLToPath(new URL('../../../', import.meta.url)), 'node_modules', '.cache', 'parapet');

function pgliteVersion(): string {
  const pkg = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return String((JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version);
}

/** The template file for the current migrations and PGlite version (it may not exist). */
export async function templatePath(dir = TEMPLATE_DIR, migrationsDir?: string): Promise<string> {
  const h = createHash('sha256').update(`pglite ${pgliteVersion()}\n`);
  for (const m of await loadMigrations(migrationsDir)) h.update(`${m.version}_${m.name} ${m.checksum}\n`);
  return join(dir, `pglite-${h.digest('hex').slice(0, 24)}.tar.gz`);
}

/** The current template's bytes, or undefined when none was built for these migrations. */
export async function readTemplate(dir = TEMPLATE_DIR): Promise<Buffer | undefined> {
  const path = await templatePath(dir);
  return existsSync(path) ? readFile(path) : undefined;
}

/** True when `pgDataDir` holds no database yet (PostgreSQL writes PG_VERSION first). */
export function isEmptyDataDir(pgDataDir: string): boolean {
  return !existsSync(join(pgDataDir, 'PG_VERSION'));
}

/**
 * Builds the template for the current migrations unless it exists: an in-memory PGlite,
 * migrated, dumped. Written to a temporary name and renamed, so a reader never sees half a
 * file. Returns the path and whether it was built now. Throws what PGlite or a migration throws.
 */
export async function buildTemplate(dir = TEMPLATE_DIR): Promise<{ path: string; built: boolean }> {
  const path = await templatePath(dir);
  if (existsSync(path)) return { path, built: false };
  // Imported here: the server's start-up path only reads templates.
  const { PgliteDatabase } = await import('./pglite.js');
  const db = await PgliteDatabase.open();
  try {
    await db.migrate();
    const tar = await db.dumpDataDir();
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, tar);
    await rename(tmp, path).catch(async (e: unknown) => {
      await rm(tmp, { force: true });
      throw e;
    });
  } finally {
    await db.close();
  }
  return { path, built: true };
}
