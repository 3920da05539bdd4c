import { dataPaths, readServerInfo, rotateKeyFile, retireKey, loadKeyFile } from '@parapet/server';
import { rewrapAll } from '@parapet/server/crypto/rotation';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';
import '@parapet/server/modules'; // loads every module, so every encrypted column is registered

async function guardEmbedded(): Promise<ReturnType<typeof cliConfig>> {
  const config = cliConfig();
  if (!config.databaseUrl && (await readServerInfo(config.dataDir))) {
    throw new CliError('Stop the embedded server first; only one process may open the embedded database.');
  }
  return config;
}

export const keysRotate: Command = {
  path: ['keys', 'rotate'],
  summary: 'Make a new key-encryption key active and re-wrap every data key under it.',
  usage: 'parapet keys rotate [--json]',
  async run({ io }) {
    const config = await guardEmbedded();
    await loadKeyFile(dataPaths(config.dataDir).keyFile); // first use: make the file, so there is a key to rotate from
    const { ring, newKeyId } = await rotateKeyFile(dataPaths(config.dataDir).keyFile);
    const report = await withDatabase(config, (db) => rewrapAll(db, ring));
    if (io.json) io.out(JSON.stringify({ active_key: newKeyId, ...report }));
    else io.out(`Key ${newKeyId} is active; re-wrapped ${report.rewrapped} data key(s). Run "parapet keys rewrap" again after running servers pick up the key (60 s), then retire the old key.`);
  },
};

export const keysRewrap: Command = {
  path: ['keys', 'rewrap'],
  summary: 'Re-wrap data keys that still name an old key-encryption key.',
  usage: 'parapet keys rewrap [--json]',
  async run({ io }) {
    const config = await guardEmbedded();
    const ring = await loadKeyFile(dataPaths(config.dataDir).keyFile);
    const report = await withDatabase(config, (db) => rewrapAll(db, ring));
    if (io.json) io.out(JSON.stringify(report));
    else io.out(`Re-wrapped ${report.rewrapped}; ${report.current} already current. Envelopes by key: ${JSON.stringify(report.byKey)}.`);
  },
};

export const keysRetire: Command = {
  path: ['keys', 'retire'],
  summary: 'Delete an old key-encryption key once no envelope names it.',
  usage: 'parapet keys retire KEY_ID',
  positionals: true,
  async run({ positionals, io }) {
    const id = positionals[0];
    if (!id) throw new CliError('Name the key to retire: parapet keys retire KEY_ID.');
    const config = await guardEmbedded();
    const ring = await loadKeyFile(dataPaths(config.dataDir).keyFile);
    if (!ring.keyIds().includes(id)) throw new CliError(`There is no key ${id} in the key file.`);
    const report = await withDatabase(config, (db) => rewrapAll(db, ring));
    const left = report.byKey[id] ?? 0;
    if (left > 0) throw new CliError(`Key ${id} still protects ${left} data key(s); run "parapet keys rewrap" first.`);
    await retireKey(dataPaths(config.dataDir).keyFile, id);
    io.out(io.json ? JSON.stringify({ retired: id }) : `Retired key ${id}.`);
  },
};
