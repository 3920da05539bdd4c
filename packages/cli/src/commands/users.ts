/**
 * `parapet login | logout` and `parapet users list | invite | invitations | roles`: people and
 * roles through the API, as the signed-in person (api-client.ts), so the server's rules apply
 * unchanged: admins only, step-up MFA for invitations and role changes, not your own roles,
 * keep one admin, roles an identity provider manages stay there.
 */
import { readFile } from 'node:fs/promises';
import { readServerInfo } from '@parapet/server';
import { parseDuration } from '@parapet/server/devices/tokens';
import { CliError, type Command, type Io } from '../command.js';
import { cliConfig } from '../context.js';
import { API_ENV_HELP, API_OPTIONS, API_USAGE, connect, defaultSessionFile, failTyped, httpClient, removeStoredSession, writeStoredSession } from '../api-client.js';

const ROLES = ['admin', 'security_lead', 'operator', 'manager', 'employee', 'auditor'] as const;
type Role = (typeof ROLES)[number];

async function ask(io: Io, given: unknown, question: string, secret = false): Promise<string> {
  if (typeof given === 'string' && given.trim()) return given.trim();
  const a = (await io.prompt(question, secret)).trim();
  if (!a) throw new CliError(`${question.replace(/[:?]\s*$/, '')} is required.`);
  return a;
}

export const login: Command = {
  path: ['login'],
  summary: 'Sign in for the CLI (password, then MFA as in the console); stores the session (mode 0600).',
  usage: 'parapet login [--server URL] [--org SLUG] [--email EMAIL] [--password-file FILE] [--mfa-code CODE] [--ca FILE]',
  details: [
    'The session is stored in PARAPET_SESSION_FILE (default ~/.config/parapet/session.json) and used by',
    'parapet scan, parapet users and other API commands. It ends like a console session: after 30 minutes',
    'idle or 12 hours. Server: --server, PARAPET_SERVER_URL, or the running server of PARAPET_DATA_DIR',
    '(trusted by its pinned key). --ca (or PARAPET_CA_FILE) trusts a self-signed certificate.',
    'People who must set up MFA first (admins, security leads) do so once in the console.',
  ].join('\n'),
  options: { server: { type: 'string' }, org: { type: 'string' }, email: { type: 'string' }, 'password-file': { type: 'string' }, 'mfa-code': { type: 'string' }, ca: { type: 'string' } },
  async run({ values, io }) {
    const config = cliConfig();
    const info = await readServerInfo(config.dataDir);
    const url = ((values.server as string | undefined) || process.env.PARAPET_SERVER_URL || info?.url)?.replace(/\/+$/, '');
    if (!url) throw new CliError(`No server to sign in to: pass --server URL or set PARAPET_SERVER_URL (no server is running on the data dir ${config.dataDir}).`);
    const pin = info && info.url === url ? info.spkiSha256 : undefined;
    const caFile = (values.ca as string | undefined) ?? process.env.PARAPET_CA_FILE;
    const org = (await ask(io, values.org, 'Organisation: ')).toLowerCase();
    const email = (await ask(io, values.email, 'Email: ')).toLowerCase();
    let password: string;
    if (values['password-file']) {
      try {
        password = (await readFile(values['password-file'] as string, 'utf8')).replace(/\r?\n$/, '');
      } catch (e) {
        throw new CliError(`Cannot read the password file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
      }
    } else password = await ask(io, undefined, 'Password: ', true);
    const c = await httpClient(url, { pin, caFile: pin ? undefined : caFile });
    const r = await c.client.POST('/api/v1/auth/login', { body: { org, email, password } });
    if (!r.data) failTyped(r);
    if (r.data.state === 'mfa_enrollment_required') {
      await c.client.POST('/api/v1/auth/logout');
      throw new CliError(`You must set up two-step verification first: sign in once in the console at ${url} and enrol an authenticator, then run "parapet login" again.`);
    }
    if (r.data.state === 'mfa_required') {
      const code = await ask(io, values['mfa-code'], 'Code from your authenticator app (or a recovery code): ', true);
      const v = await c.client.POST('/api/v1/auth/mfa/verify', { body: code.length === 6 ? { code } : { recovery_code: code } });
      if (!v.data) failTyped(v);
    }
    const cookie = c.cookie();
    if (!cookie) throw new CliError('The server did not open a session.');
    const file = defaultSessionFile();
    await writeStoredSession(file, { server: url, cookie, org, email, ca_file: pin ? undefined : caFile, pin, saved_at: new Date().toISOString() });
    if (io.json) io.out(JSON.stringify({ server: url, org, email, session_file: file }));
    else io.out(`Signed in to ${url} as ${email} (${org}); the session is stored in ${file} (mode 0600). "parapet logout" ends it.`);
  },
};

export const logout: Command = {
  path: ['logout'],
  summary: 'End the stored CLI session on the server and delete it.',
  usage: 'parapet logout',
  async run({ io }) {
    const file = defaultSessionFile();
    try {
      const api = await connect({});
      await api.client.POST('/api/v1/auth/logout');
    } catch {
      // An expired session or an unreachable server: deleting the local copy is still right.
    }
    const had = await removeStoredSession(file);
    io.out(had ? `Signed out; removed ${file}.` : 'There was no stored session.');
  },
};

interface Person {
  id: string;
  email: string;
  display_name: string;
  roles: string[];
  status: string;
  roles_managed_by: string | null;
}

async function people(values: Record<string, unknown>, io: Io) {
  const api = await connect(values, io);
  const r = await api.client.GET('/api/v1/people');
  if (!r.data) failTyped(r);
  return { api, people: (r.data.people ?? []) as Person[] };
}

const managedNote = (p: Person) => (p.roles_managed_by ? ` (roles managed by ${p.roles_managed_by === 'sso' ? 'SSO group mapping' : 'SCIM'})` : '');

export const usersList: Command = {
  path: ['users', 'list'],
  summary: 'List the people of your organisation with their roles.',
  usage: `parapet users list ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...API_OPTIONS },
  async run({ values, io }) {
    const { people: list } = await people(values, io);
    if (io.json) return io.out(JSON.stringify(list));
    if (!list.length) return io.out('No people.');
    for (const p of list) io.out(`${p.email.padEnd(36)} ${(p.roles.join(',') || '-').padEnd(30)} ${p.status}${managedNote(p)}`);
  },
};

function checkRoles(rs: string[]): Role[] {
  for (const r of rs) if (!(ROLES as readonly string[]).includes(r)) throw new CliError(`"${r}" is not a role; roles are ${ROLES.join(', ')}.`);
  return rs as Role[];
}
const splitRoles = (v: unknown) => checkRoles(((v as string[] | undefined) ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean));

export const usersInvite: Command = {
  path: ['users', 'invite'],
  summary: 'Invite someone: prints a one-time link (shown once) to pass on; admin, fresh MFA.',
  usage: `parapet users invite EMAIL [--role ROLE]... [--expires 72h] ${API_USAGE}`,
  details: `Roles: ${ROLES.join(', ')} (default employee). The link expires (5m to 30d, default 72h) and works once; it is printed to pass on,\nor mailed to the invitee when the server has a mail relay (PARAPET_SMTP_URL). Admins and security leads set up MFA when they accept.\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS, role: { type: 'string', multiple: true }, expires: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [email] = positionals;
    if (!email || positionals.length > 1) throw new CliError('Usage: parapet users invite EMAIL [--role ROLE]... [--expires 72h].');
    const roles = splitRoles(values.role);
    const secs = values.expires === undefined ? undefined : parseDuration(values.expires as string);
    if (values.expires !== undefined && (secs === undefined || secs < 300 || secs > 30 * 86400)) throw new CliError('--expires takes a duration from 5m to 30d, such as 72h or 7d.');
    const api = await connect(values, io);
    const r = await api.client.POST('/api/v1/people/invitations', { body: { email, roles, ...(secs ? { expires_in_seconds: secs } : {}) } });
    if (!r.data) failTyped(r);
    const inv = r.data.invitation;
    if (io.json) return io.out(JSON.stringify(r.data));
    if (r.data.emailed_to) {
      io.out(`Mailed the invitation for ${inv?.email} as ${inv?.roles?.join(', ')} (valid once until ${inv?.expires_at}); the link is only in their mailbox.`);
      return;
    }
    if (r.data.email_error) io.err(`${String(r.data.email_error)} Pass the link on yourself instead.`);
    io.out(String(r.data.link));
    io.out('');
    io.out(`Invitation for ${inv?.email} as ${inv?.roles?.join(', ')}, valid once until ${inv?.expires_at}. The link is shown only now; send it to them yourself.`);
  },
};

export const usersInvitations: Command = {
  path: ['users', 'invitations'],
  summary: 'List invitations (open, accepted, expired, revoked); --revoke ID withdraws an open one.',
  usage: `parapet users invitations [--revoke ID] ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...API_OPTIONS, revoke: { type: 'string' } },
  async run({ values, io }) {
    const api = await connect(values, io);
    if (values.revoke) {
      const r = await api.client.DELETE('/api/v1/people/invitations/{id}', { params: { path: { id: values.revoke as string } } });
      if (r.response.status !== 204) failTyped(r);
      return io.out(io.json ? JSON.stringify({ revoked: values.revoke }) : `Revoked invitation ${values.revoke}.`);
    }
    const r = await api.client.GET('/api/v1/people/invitations');
    if (!r.data) failTyped(r);
    const list = r.data.invitations ?? [];
    if (io.json) return io.out(JSON.stringify(list));
    if (!list.length) return io.out('No invitations.');
    for (const i of list) io.out(`${i.id}  ${(i.status ?? '').padEnd(8)}  ${(i.email ?? '').padEnd(32)} ${(i.roles ?? []).join(',').padEnd(24)} expires ${i.expires_at}`);
  },
};

export const usersRoles: Command = {
  path: ['users', 'roles'],
  summary: "Show or change a person's roles (--add/--remove/--set; admin, fresh MFA).",
  usage: `parapet users roles EMAIL [--add ROLE]... [--remove ROLE]... [--set ROLE,...] ${API_USAGE}`,
  details: `Roles: ${ROLES.join(', ')}. Nobody changes their own roles; the last admin stays admin;\nroles from SSO group mapping or SCIM are changed in the identity provider.\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS, add: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true }, set: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [who] = positionals;
    if (!who || positionals.length > 1) throw new CliError('Usage: parapet users roles EMAIL [--add ROLE]... [--remove ROLE]... [--set ROLE,...].');
    const { api, people: list } = await people(values, io);
    const p = list.find((x) => x.email === who.toLowerCase() || x.id === who);
    if (!p) throw new CliError(`Nobody with the email ${who} in this organisation.`);
    const add = splitRoles(values.add);
    const remove = splitRoles(values.remove);
    if (values.set === undefined && !add.length && !remove.length) {
      if (io.json) return io.out(JSON.stringify({ id: p.id, email: p.email, roles: p.roles, roles_managed_by: p.roles_managed_by }));
      return io.out(`${p.email}: ${p.roles.join(', ') || 'no roles'}${managedNote(p)}`);
    }
    if (values.set !== undefined && (add.length || remove.length)) throw new CliError('Use --set alone, or --add/--remove.');
    const next = values.set !== undefined ? splitRoles([values.set as string]) : [...new Set([...(p.roles as Role[]).filter((r) => !remove.includes(r)), ...add])];
    const r = await api.client.PUT('/api/v1/people/{id}/roles', { params: { path: { id: p.id } }, body: { roles: next } });
    if (!r.data) failTyped(r);
    if (io.json) return io.out(JSON.stringify(r.data));
    io.out(`${p.email}: ${(r.data.roles ?? []).join(', ') || 'no roles'} (was ${(r.data.previous_roles ?? []).join(', ') || 'no roles'}). Their sessions were ended; the new roles apply at their next sign-in.`);
  },
};

export const usersUnlock: Command = {
  path: ['users', 'unlock'],
  summary: "Clear a person's sign-in delays after failed attempts (admin, fresh MFA).",
  usage: `parapet users unlock EMAIL ${API_USAGE}`,
  details: `Calls POST /api/v1/auth/users/ID/unlock (the sign-in throttling module).\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS },
  positionals: true,
  async run({ values, positionals, io }) {
    const [who] = positionals;
    if (!who || positionals.length > 1) throw new CliError('Usage: parapet users unlock EMAIL.');
    const { api, people: list } = await people(values, io);
    const p = list.find((x) => x.email === who.toLowerCase() || x.id === who);
    if (!p) throw new CliError(`Nobody with the email ${who} in this organisation.`);
    const r = await api.client.POST('/api/v1/auth/users/{id}/unlock', { params: { path: { id: p.id } } });
    if (!r.data) failTyped(r);
    if (io.json) return io.out(JSON.stringify(r.data));
    io.out(`${p.email} can sign in again (${r.data.cleared ?? 0} throttle entries cleared).`);
  },
};
