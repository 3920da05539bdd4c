import { PostgresDatabase, PgliteDatabase } from '@parapet/db';
import { readServerInfo } from '@parapet/server';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';

export const dbMigrate: Command = {
  path: ['db', 'migrate'],
  summary: 'Apply database migrations and grant the app role.',
  usage: 'parapet db migrate [--json]',
  async run({ io }) {
    const config = cliConfig();
    if (!config.databaseUrl && (await readServerInfo(config.dataDir))) {
      throw new CliError('The embedded database is in use by a running server, which migrates it at start; nothing to do.');
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
