/**
 * `parapet-witness serve`: the command line of the witness a customer runs on their own
 * machine. Errors are one plain sentence on stderr with exit code 1; usage errors exit 2.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createWitness, serveWitness } from './witness.js';

/** Where {@link main} writes; the process streams by default, a buffer in tests. */
export interface WitnessIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = 'Usage: parapet-witness serve --dir DIR --name NAME --log VERIFIER_KEY... [--port 7380] [--host 127.0.0.1] [--tls-cert FILE --tls-key FILE] [--json]';

class UsageError extends Error {}

/**
 * Runs the witness CLI with `argv` (without `node` and the script). `serve` resolves when
 * the server stops (SIGINT or SIGTERM, or `signal` aborting) with exit code 0; any error
 * resolves with a non-zero code after one sentence on `io.err`.
 */
export async function main(argv: string[], io: WitnessIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }, signal?: AbortSignal): Promise<number> {
  try {
    await run(argv, io, signal);
    return 0;
  } catch (e) {
    io.err((e as Error).message);
    if (e instanceof UsageError) {
      io.err(USAGE);
      return 2;
    }
    return 1;
  }
}

async function run(argv: string[], io: WitnessIo, signal?: AbortSignal): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out(USAGE);
    return;
  }
  if (cmd !== 'serve') throw new UsageError(`Unknown command "${cmd}"; the witness has one command, serve.`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(USAGE);
    return;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { dir: { type: 'string' }, name: { type: 'string' }, log: { type: 'string', multiple: true }, port: { type: 'string' }, host: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { dir, name } = values;
  const logs = values.log ?? [];
  if (!dir || !name || logs.length === 0) throw new UsageError('Give --dir DIR, --name NAME and at least one --log VERIFIER_KEY.');
  const port = Number(values.port ?? 7380);
  if (!/^\d+$/.test(values.port ?? '7380') || port > 65535) throw new UsageError('--port is a TCP port number.');
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if (Boolean(certFile) !== Boolean(keyFile)) throw new UsageError('Give both --tls-cert and --tls-key, or neither.');
  let tls: { cert: string; key: string } | undefined;
  if (certFile && keyFile) {
    try {
      tls = { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
    } catch (e) {
      throw new Error(`Cannot read the TLS certificate or key: ${(e as Error).message}`);
    }
  }
  let served;
  let w;
  try {
    w = await createWitness({ dir, name, logs });
    served = await serveWitness(w, { port, host: values.host ?? '127.0.0.1', tls });
  } catch (e) {
    throw new Error(`Cannot start the witness: ${(e as Error).message}`);
  }
  const { server, url } = served;
  if (values.json) io.out(JSON.stringify({ url, verifier_key: w.verifierKey }));
  else io.out(`Witness ${name} listening on ${url}/add-checkpoint\nVerifier key: ${w.verifierKey}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
}
