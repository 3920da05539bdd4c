import { preparePglite } from '@parapet/db';
import { ConfigError, loadConfig } from './config.js';

// `npm start`: run until SIGTERM / SIGINT, then drain and exit 0.
try {
  const config = loadConfig();
  // On the embedded database, PGlite's WebAssembly compiles on V8's background threads while
  // the server's modules load (main.js is imported only now, for that reason).
  if (!config.databaseUrl) void preparePglite();
  const { startServer } = await import('./main.js');
  // Background jobs wait a moment, so the first requests after a start are not queued behind them.
  const server = await startServer(config, { jobsDelayMs: 2000 });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(JSON.stringify({ level: 30, time: Date.now(), msg: `received ${signal}, draining` }) + '\n');
    const force = setTimeout(() => {
      process.stderr.write('Shutdown grace period ended with requests still open; exiting.\n');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`Shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (e) {
  const msg = e instanceof ConfigError || (e as Error).name === 'UnsafeRoleError' || (e as Error).name === 'MigrationError' || (e as Error).name === 'DataDirLockedError' ? (e as Error).message : `Parapet failed to start: ${(e as Error).message}`;
  process.stderr.write(msg.endsWith('.') ? msg + '\n' : msg + '.\n');
  process.exit(1);
}
