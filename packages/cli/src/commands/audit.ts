import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { verifyExport, type AuditExport } from '@parapet/core';
import { auditVault, dataPaths, exportLog, loadKeyFile, readServerInfo, tenantBySlug } from '@parapet/server';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';

/**
 * `audit export` reads the database directly, like `parapet init` (PostgreSQL via
 * DATABASE_URL, or the embedded database when no server holds it), and needs the data
 * dir's key file to sign the covering checkpoint. With the embedded server running, use
 * GET /api/v1/audit/export instead.
 */
export const auditExport: Command = {
  path: ['audit', 'export'],
  summary: "Write a tenant's audit log (leaf bytes, checkpoints, log key) to a file.",
  usage: 'parapet audit export --tenant SLUG --out FILE [--json]',
  options: { tenant: { type: 'string' }, out: { type: 'string' } },
  async run({ values, io }) {
    const slug = values.tenant as string | undefined;
    const out = values.out as string | undefined;
    if (!slug || !out) throw new CliError('Give --tenant SLUG and --out FILE.');
    const config = cliConfig();
    if (!config.databaseUrl && (await readServerInfo(config.dataDir))) {
      throw new CliError('The embedded database is held by the running server; export through the API (GET /api/v1/audit/export) or stop the server.');
    }
    const keys = await loadKeyFile(dataPaths(config.dataDir).keyFile);
    const r = await withDatabase(config, async (db) => {
      const t = await tenantBySlug(db, slug);
      if (!t) throw new CliError(`No organisation has the slug "${slug}".`);
      let who = 'unknown';
      try {
        who = userInfo().username;
      } catch {
        // no passwd entry (containers): keep "unknown"
      }
      // The data dir's vault holds the latest checkpoints where the database cannot rewrite them.
      return exportLog(db, keys, t.id, { type: 'system', id: 'cli', name: `parapet audit export (${who})` }, auditVault(config.dataDir));
    });
    await writeFile(out, JSON.stringify(r.export) + '\n', { mode: 0o600, flag: 'w' });
    if (r.tamper) io.err(`Warning: ${r.tamper}`);
    if (io.json) io.out(JSON.stringify({ out, entries: r.export.entries.length, checkpoints: r.export.checkpoints.length, warning: r.tamper ?? null }));
    else io.out(`Wrote ${r.export.entries.length} entries and ${r.export.checkpoints.length} checkpoint(s) to ${out}. Log key: ${r.export.log_keys.at(-1)}.`);
  },
};

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

export const auditVerify: Command = {
  path: ['audit', 'verify'],
  summary: 'Check an audit export offline: chain, Merkle tree, checkpoint signatures, witness cosignatures.',
  usage: 'parapet audit verify FILE [--key VERIFIER_KEY] [--checkpoint NOTE_FILE]... [--witness VERIFIER_KEY]... [--json]',
  options: { key: { type: 'string', multiple: true }, checkpoint: { type: 'string', multiple: true }, witness: { type: 'string', multiple: true } },
  positionals: true,
  async run({ values, positionals, io }) {
    if (positionals.length !== 1) throw new CliError('Give exactly one export file.', 2);
    let x: AuditExport;
    try {
      x = JSON.parse(await readText(positionals[0]!, 'export file')) as AuditExport;
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`The export file is not JSON: ${(e as Error).message}.`);
    }
    const extra = await Promise.all(((values.checkpoint as string[] | undefined) ?? []).map((p) => readText(p, 'checkpoint file')));
    const r = verifyExport(x, { trustedKeys: (values.key as string[] | undefined) ?? [], extraCheckpoints: extra, witnesses: (values.witness as string[] | undefined) ?? [] });
    if (io.json) {
      io.out(JSON.stringify(r));
      return r.ok ? 0 : 1;
    }
    if (!r.ok) {
      const where = r.seq !== undefined ? `Entry ${r.seq}: ` : '';
      throw new CliError(`${where}${r.reason}.`);
    }
    io.out(
      `OK: ${r.entries} entries chain and form the signed tree; ${r.checkpoints} checkpoint(s) verified` +
        (r.cosignatures ? `, ${r.cosignatures} witness cosignature(s)` : '') +
        (r.keysPinned ? ' under the given log key.' : ' under the log key named in the export (pin it with --key for independent assurance).'),
    );
    return 0;
  },
};
