import { dataPaths, readServerInfo, rotateKeyFile, retireKey, loadKeyFile } from '@parapet/server';
import { keyUsage, rewrapAll, UnregisteredSealedColumnError } from '@parapet/server/crypto/rotation';
import { openVault } from '@parapet/server/platform/vault';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';
import '@parapet/server/modules'; // loads every module, so every sealed column is registered

async function guardEmbedded(): Promise<ReturnType<typeof cliConfig>> {
  const config = cliConfig();
  if (!config.databaseUrl && (await readServerInfo(config.dataDir))) {
    throw new CliError('Stop the embedded server first; only one process may open the embedded database.');
  }
  return config;
}

/** Re-wraps every sealed value (columns and vault objects); a plain sentence when a column is unregistered. */
async function rewrapEverything(config: ReturnType<typeof cliConfig>, ring: Awaited<ReturnType<typeof loadKeyFile>>) {
  const vault = await openVault(config.vault);
  try {
    return await withDatabase(config, (db) => rewrapAll(db, ring, { vault }));
  } catch (e) {
    if (e instanceof UnregisteredSealedColumnError) throw new CliError(e.message);
    throw e;
  }
}

export const keysRotate: Command = {
  path: ['keys', 'rotate'],
  summary: 'Make a new key-encryption key active and re-wrap every data key under it.',
  usage: 'parapet keys rotate [--json]',
  async run({ io }) {
    const config = await guardEmbedded();
    await loadKeyFile(dataPaths(config.dataDir).keyFile); // first use: make the file, so there is a key to rotate from
    const { ring, newKeyId } = await rotateKeyFile(dataPaths(config.dataDir).keyFile);
    const report = await rewrapEverything(config, ring);
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
    const report = await rewrapEverything(config, ring);
    if (io.json) io.out(JSON.stringify(report));
    else io.out(`Re-wrapped ${report.rewrapped}; ${report.current} already current. Envelopes by key: ${JSON.stringify(report.byKey)}.`);
  },
};

export const keysRetire: Command = {
  path: ['keys', 'retire'],
  summary: 'Delete an old key-encryption key once no sealed value (database column or vault object) names it.',
  usage: 'parapet keys retire KEY_ID',
  positionals: true,
  async run({ positionals, io }) {
    const id = positionals[0];
    if (!id) throw new CliError('Name the key to retire: parapet keys retire KEY_ID.');
    const config = await guardEmbedded();
    const ring = await loadKeyFile(dataPaths(config.dataDir).keyFile);
    if (!ring.keyIds().includes(id)) throw new CliError(`There is no key ${id} in the key file.`);
    // Counted, not re-wrapped: every *_sealed column in the catalogue and every vault object.
    const vault = await openVault(config.vault);
    const usage = await withDatabase(config, (db) => keyUsage(db, vault));
    const left = usage.byKey[id] ?? 0;
    if (left > 0) {
      const where = Object.entries(usage.where[id] ?? {}).map(([w, n]) => `${w} (${n})`).join(', ');
      throw new CliError(`Key ${id} still protects ${left} sealed value(s) in ${where}; run "parapet keys rewrap" first.`);
    }
    await retireKey(dataPaths(config.dataDir).keyFile, id);
    io.out(io.json ? JSON.stringify({ retired: id }) : `Retired key ${id}.`);
  },
};
