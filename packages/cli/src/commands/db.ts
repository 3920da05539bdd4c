import { loadMigrations, PostgresDatabase, PgliteDatabase } from '@parapet/db';
import { dataDirHolder, readServerInfo } from '@parapet/server';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';

export const dbMigrate: Command = {
  path: ['db', 'migrate'],
  summary: 'Apply database migrations and grant the app role.',
  usage: 'parapet db migrate [--json]',
  details: [
    'PostgreSQL: migrates as DATABASE_ADMIN_URL (the owner / migrator role); servers may keep running.',
    'Embedded database (no DATABASE_URL): a running server holds the data dir and migrates it when it starts.',
    'If that server already applied every migration this checkout has, this says so and exits 0;',
    'otherwise (a migration newer than the server, or a server still starting) it refuses with exit 1:',
    'stop the server, then run "parapet db migrate" (or just start the server again, which migrates).',
  ].join('\n'),
  async run({ io }) {
    const config = cliConfig();
    if (!config.databaseUrl) {
      const done = await migratedByRunningServer(config.dataDir);
      if (done) {
        if (io.json) io.out(JSON.stringify({ applied: [], alreadyApplied: done.count, serverPid: done.pid }));
        else io.out(`The running Parapet server (pid ${done.pid}) applied all ${done.count} migrations to the embedded database in ${config.dataDir} when it started; nothing to do.`);
        return 0;
      }
    }
    if (config.databaseUrl && !config.databaseAdminUrl) {
      throw new CliError('DATABASE_ADMIN_URL is not set; migrations run as the owner / migrator role, not the app role.');
    }
    const report = await withDatabase(config, async (db) => {
      if (!(db instanceof PostgresDatabase) && !(db instanceof PgliteDatabase)) throw new CliError('Unknown database engine.');
      return db.migrate();
    });
    if (io.json) io.out(JSON.stringify(report));
    else io.out(report.applied.length ? `Applied ${report.applied.length} migration(s): ${report.applied.join(', ')}.` : `Database is up to date (${report.alreadyApplied} migrations).`);
  },
};

/**
 * With the embedded database, the server that holds the data dir (its `server.lock`) is the
 * only process that may open it, and it migrates at start. Returns that server's pid and the
 * number of migrations when its server.json records every migration this checkout has;
 * undefined when no server holds the data dir. Throws CliError (one sentence: stop the server
 * first) when one holds it but has not applied them all, or has not yet said what it applied;
 * and when the server running on the data dir uses PostgreSQL (the CLI lacks DATABASE_URL).
 */
async function migratedByRunningServer(dataDir: string): Promise<{ pid: number; count: number } | undefined> {
  const info = await readServerInfo(dataDir);
  const holder = await dataDirHolder(dataDir);
  if (!holder && info && info.engine !== 'pglite') {
    // A server on PostgreSQL shares this data dir (keys only); without DATABASE_URL this would
    // migrate an embedded database that no server reads.
    throw new CliError(`The Parapet server running on the data dir ${dataDir} (pid ${info.pid}) uses PostgreSQL; set DATABASE_URL and DATABASE_ADMIN_URL as it has them and run "parapet db migrate" again.`);
  }
  const pid = holder ?? info?.pid;
  if (!pid) return undefined;
  const ours = (await loadMigrations()).map((m) => `${m.version}_${m.name}`);
  const theirs = info?.pid === pid ? info.migrations : undefined;
  if (!theirs) {
    throw new CliError(`A Parapet server (pid ${pid}) holds the embedded database in ${dataDir} and has not said which migrations it applied (it may still be starting); wait for it to listen and run this again, or stop it first.`);
  }
  const missing = ours.filter((v) => !theirs.includes(v));
  if (missing.length) {
    throw new CliError(`The running Parapet server (pid ${pid}) holds the embedded database in ${dataDir} and started before migration${missing.length > 1 ? 's' : ''} ${missing.length > 3 ? `${missing.slice(0, 3).join(', ')} and ${missing.length - 3} more` : missing.join(', ')} existed; stop the server first, then run "parapet db migrate" (or start the server again, which migrates).`);
  }
  return { pid, count: ours.length };
}
