/**
 * `parapet devices …`: enrollment tokens, fleet list, revocation. Like `parapet init`, these talk
 * to the database directly (whoever can run them already holds the database credentials), in
 * the organisation named by --org. The server's operator functions make each change and its
 * audit entry (actor system/cli with the OS user's name) in one transaction.
 */
import { userInfo } from 'node:os';
import { operatorCreateEnrollmentToken, operatorListDevices, operatorRevokeDevice, readServerInfo, tenantBySlug, type Operator } from '@parapet/server';
import { parseDuration, MAX_TOKEN_SECONDS, type DeviceKind } from '@parapet/server/devices/tokens';
import type { Database } from '@parapet/db';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function operator(): Operator {
  try {
    return { osUser: userInfo().username };
  } catch {
    return { osUser: 'unknown' }; // no passwd entry (containers)
  }
}

async function inOrg<T>(org: unknown, fn: (db: Database, tenantId: string) => Promise<T>): Promise<T> {
  if (typeof org !== 'string' || !org) throw new CliError('Name the organisation with --org SLUG.');
  const config = cliConfig();
  const info = config.databaseUrl ? undefined : await readServerInfo(config.dataDir);
  if (info) {
    throw new CliError(`The embedded database is in use by the running server; create tokens and manage devices on the console's Devices page (${info.url}/devices) or stop the server.`);
  }
  return withDatabase(config, async (db) => {
    if (db.engine === 'pglite') await db.migrate();
    const t = await tenantBySlug(db, org);
    if (!t) throw new CliError(`No organisation with slug "${org}".`);
    return fn(db, t.id);
  });
}

export const devicesTokenCreate: Command = {
  path: ['devices', 'token', 'create'],
  summary: 'Create a single-use enrollment token for an agent or worker (shown once).',
  usage: 'parapet devices token create --org SLUG --kind agent|worker [--owner EMAIL] [--expires 1h] [--json]',
  details: 'An agent token names whose machine it is (--owner EMAIL, an active person): Pulse accepts uploads only from such an agent.',
  options: { org: { type: 'string' }, kind: { type: 'string' }, owner: { type: 'string' }, expires: { type: 'string' } },
  async run({ values, io }) {
    const kind = values.kind as string | undefined;
    if (kind !== 'agent' && kind !== 'worker') throw new CliError('Give --kind agent or --kind worker.');
    const owner = values.owner as string | undefined;
    if (kind === 'agent' && !owner) throw new CliError('Name whose machine the agent is with --owner EMAIL (Pulse accepts uploads only from an agent enrolled to its owner).');
    if (kind === 'worker' && owner) throw new CliError('A worker belongs to no person; --owner is for agent tokens.');
    const seconds = values.expires === undefined ? 3600 : parseDuration(values.expires as string);
    if (seconds === undefined || seconds < 60 || seconds > MAX_TOKEN_SECONDS) throw new CliError('--expires takes a duration from 60s to 7d, such as 30m or 1h.');
    const t = await inOrg(values.org, async (db, tenantId) => {
      let ownerUserId: string | undefined;
      if (owner) {
        const { rows } = await db.tx({ tenantId }, (q) => q.query<{ id: string }>(`SELECT id FROM users WHERE lower(email) = lower($1) AND status = 'active'`, [owner]));
        ownerUserId = rows[0]?.id;
        if (!ownerUserId) throw new CliError(`No active person with the email ${owner} in this organisation.`);
      }
      return operatorCreateEnrollmentToken(db, tenantId, operator(), { kind: kind as DeviceKind, expiresInSeconds: seconds, ownerUserId });
    });
    if (io.json) io.out(JSON.stringify({ id: t.id, token: t.token, kind: t.kind, expires_at: t.expiresAt.toISOString() }));
    else io.out(`${t.token}\n\nSingle-use ${t.kind} enrollment token, valid until ${t.expiresAt.toISOString()}. It is shown only now.`);
  },
};

export const devicesList: Command = {
  path: ['devices', 'list'],
  summary: 'List the enrolled devices of an organisation.',
  usage: 'parapet devices list --org SLUG [--json]',
  options: { org: { type: 'string' } },
  async run({ values, io }) {
    const devices = await inOrg(values.org, (db, tenantId) => operatorListDevices(db, tenantId, operator()));
    if (io.json) return io.out(JSON.stringify({ devices }));
    if (devices.length === 0) return io.out('No devices enrolled.');
    for (const d of devices) {
      io.out([d.id, d.kind.padEnd(6), d.status.padEnd(7), d.name, `last seen ${d.last_seen_at ?? 'never'}`, d.version ?? '-', d.platform ?? '-', `key store ${d.key_store ?? '-'}`].join('  '));
    }
  },
};

export const devicesRevoke: Command = {
  path: ['devices', 'revoke'],
  summary: 'Revoke a device; its next signed request is refused.',
  usage: 'parapet devices revoke ID --org SLUG [--json]',
  options: { org: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const id = positionals[0];
    if (!id || !UUID.test(id) || positionals.length > 1) throw new CliError('Give the id of one device (see "parapet devices list").');
    const r = await inOrg(values.org, (db, tenantId) => operatorRevokeDevice(db, tenantId, operator(), id));
    if (!r) throw new CliError(`No device ${id} in this organisation.`);
    if (io.json) io.out(JSON.stringify({ id: r.id, status: 'revoked', revoked_at: r.revokedAt, already_revoked: r.alreadyRevoked }));
    else io.out(r.alreadyRevoked ? `Device ${r.id} (${r.name}) was already revoked at ${r.revokedAt}.` : `Revoked device ${r.id} (${r.name}).`);
  },
};
