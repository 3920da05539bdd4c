import { readFile } from 'node:fs/promises';
import { createWitness, serveWitness } from '@parapet/server/witness/server';
import { CliError, type Command } from '../command.js';

export const witnessServe: Command = {
  path: ['witness', 'serve'],
  summary: 'Run an independent C2SP tlog-witness that cosigns consistent audit checkpoints.',
  usage: 'parapet witness serve --dir DIR --name NAME --log VERIFIER_KEY... [--port 7380] [--host 127.0.0.1] [--tls-cert FILE --tls-key FILE]',
  options: { dir: { type: 'string' }, name: { type: 'string' }, log: { type: 'string', multiple: true }, port: { type: 'string' }, host: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' } },
  async run({ values, io }) {
    const dir = values.dir as string | undefined;
    const name = values.name as string | undefined;
    const logs = (values.log as string[] | undefined) ?? [];
    if (!dir || !name || logs.length === 0) throw new CliError('Give --dir DIR, --name NAME and at least one --log VERIFIER_KEY.');
    const port = Number(values.port ?? 7380);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('--port is a TCP port number.');
    const certFile = values['tls-cert'] as string | undefined;
    const keyFile = values['tls-key'] as string | undefined;
    if (Boolean(certFile) !== Boolean(keyFile)) throw new CliError('Give both --tls-cert and --tls-key, or neither.');
    let tls: { cert: string; key: string } | undefined;
    if (certFile && keyFile) {
      try {
        tls = { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
      } catch (e) {
        throw new CliError(`Cannot read the TLS certificate or key: ${(e as Error).message}`);
      }
    }
    let w;
    try {
      w = await createWitness({ dir, name, logs });
    } catch (e) {
      throw new CliError(`Cannot start the witness: ${(e as Error).message}`);
    }
    let served;
    try {
      served = await serveWitness(w, { port, host: (values.host as string | undefined) ?? '127.0.0.1', tls });
    } catch (e) {
      throw new CliError(`Cannot start the witness: ${(e as Error).message}`);
    }
    const { server, url } = served;
    if (io.json) io.out(JSON.stringify({ url, verifier_key: w.verifierKey }));
    else io.out(`Witness ${name} listening on ${url}/add-checkpoint\nVerifier key: ${w.verifierKey}`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
