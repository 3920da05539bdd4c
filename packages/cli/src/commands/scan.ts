/**
 * `parapet scan request | approve | reject | list`: talk to the API with the caller's session.
 *
 * Why the API and not direct database access: approving a production scan needs the
 * approver's step-up MFA (no older than 5 minutes), which only a session carries. A CLI that
 * wrote approvals into the database would bypass authorize() and the MFA check entirely.
 * The session cookie value comes from PARAPET_SESSION or --session-file (the console shows
 * it); the CSRF token is fetched from /api/v1/auth/session.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readServerInfo, spkiSha256 } from '@parapet/server';
import { CliError, type Command, type Io } from '../command.js';
import { cliConfig } from '../context.js';

interface Api {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> & { code?: string; detail?: string } }>;
}

async function connect(values: Record<string, unknown>): Promise<Api> {
  const config = cliConfig();
  const info = await readServerInfo(config.dataDir);
  const url = (values.server as string | undefined) ?? process.env.PARAPET_SERVER_URL ?? info?.url;
  if (!url) throw new CliError('No server to talk to: pass --server URL or set PARAPET_SERVER_URL (or run it from the data dir of a running server).');
  // Trust: the pinned certificate of a local server, else a CA file, else the system store.
  const pin = info && info.url === url ? info.spkiSha256 : undefined;
  const caFile = process.env.PARAPET_CA_FILE;
  const ca = caFile ? await readFile(caFile, 'utf8') : undefined;
  let session = process.env.PARAPET_SESSION;
  if (values['session-file']) session = (await readFile(values['session-file'] as string, 'utf8')).trim();
  if (!session) throw new CliError('No session: set PARAPET_SESSION or pass --session-file FILE with your session cookie value.');
  // No TLS session resumption: a resumed session shows no certificate to check the pin on.
  const agent = new Agent(pin ? { rejectUnauthorized: false, maxCachedSessions: 0 } : ca ? { ca } : {});
  let csrf = '';
  const pinned = new WeakSet<object>();
  const raw = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        url + path,
        {
          method,
          agent,
          headers: {
            cookie: `__Host-parapet_session=${session}`,
            ...(csrf ? { 'x-csrf-token': csrf } : {}),
            ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
            'user-agent': 'parapet-cli',
          },
        },
        (res) => {
          if (pin && !pinned.has(res.socket)) {
            res.destroy();
            reject(new CliError('The server is not the one that wrote the data dir (certificate mismatch).'));
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: Record<string, unknown> = {};
            try {
              json = text ? JSON.parse(text) : {};
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      // Check the pin as soon as the TLS handshake ends, before anything is sent.
      req.on('socket', (sock) => {
        (sock as TLSSocket).once('secureConnect', () => {
          const raw = (sock as TLSSocket).getPeerCertificate().raw;
          const pem = raw ? `-----BEGIN CERTIFICATE-----\n${raw.toString('base64')}\n-----END CERTIFICATE-----\n` : '';
          if (pin && pem && spkiSha256(pem) === pin) pinned.add(sock);
          else if (pin) req.destroy(new CliError('The server is not the one that wrote the data dir (certificate mismatch).'));
        });
      });
      req.on('error', (e) => reject(e instanceof CliError ? e : new CliError(`Cannot reach ${url}: ${e.message}.`)));
      req.end(data);
    });
  const who = await raw('GET', '/api/v1/auth/session');
  if (who.status !== 200) throw new CliError('The session is not valid (expired or revoked); sign in again and use the new session.');
  csrf = String(who.json.csrf_token ?? '');
  return { call: raw as Api['call'] };
}

function fail(r: { status: number; json: { code?: string; detail?: string } }): never {
  const hint = r.json.code === 'step_up_required' ? ' Verify MFA in the console, then repeat within 5 minutes.' : '';
  throw new CliError(`${r.json.detail ?? `The server answered ${r.status}.`} (${r.json.code ?? r.status}).${hint}`);
}

function printScan(io: Io, s: Record<string, unknown>): void {
  const scope = s.scope as { scope_id: string; version: number; environment: string };
  const approvals = (s.approvals as unknown[]).length;
  io.out(`${s.id}  ${String(s.state).padEnd(9)}  ${scope.scope_id} v${scope.version} (${scope.environment})  approvals ${approvals}/${s.approvals_required}  targets ${(s.targets as string[]).join(',')}  ports ${(s.ports as number[]).join(',')}`);
}

const common = { server: { type: 'string' }, 'session-file': { type: 'string' } } as const;

export const scanRequest: Command = {
  path: ['scan', 'request'],
  summary: 'Request a Probe scan (refused unless inside the signed scope).',
  usage: 'parapet scan request --scope ID --version N --target T... --port P... --probe TYPE... --rate PPS [--note TEXT]',
  options: { ...common, scope: { type: 'string' }, version: { type: 'string' }, target: { type: 'string', multiple: true }, port: { type: 'string', multiple: true }, probe: { type: 'string', multiple: true }, rate: { type: 'string' }, note: { type: 'string' } },
  async run({ values, io }) {
    const need = ['scope', 'version', 'target', 'port', 'probe', 'rate'].filter((k) => values[k] === undefined);
    if (need.length) throw new CliError(`Missing ${need.map((k) => `--${k}`).join(', ')}.`);
    const ints = (xs: string[], what: string) =>
      xs.map((x) => {
        if (!/^\d+$/.test(x)) throw new CliError(`${what} "${x}" is not a number.`);
        return Number(x);
      });
    const api = await connect(values);
    const r = await api.call('POST', '/api/v1/probe/scans', {
      scope_id: values.scope, version: ints([values.version as string], '--version')[0], targets: values.target, ports: ints(values.port as string[], 'Port'),
      probe_types: values.probe, rate_pps: ints([values.rate as string], '--rate')[0], ...(values.note ? { note: values.note } : {}),
    });
    if (r.status !== 201) fail(r);
    if (io.json) io.out(JSON.stringify(r.json));
    else printScan(io, r.json);
  },
};

function decision(word: 'approve' | 'reject'): Command {
  return {
    path: ['scan', word],
    summary: word === 'approve' ? 'Approve a scan (approver role, MFA verified within 5 minutes).' : 'Reject a scan; one rejection stops it.',
    usage: `parapet scan ${word} ID [--comment TEXT]`,
    options: { ...common, comment: { type: 'string' } },
    positionals: true,
    async run({ values, positionals, io }) {
      const [id] = positionals;
      if (!id) throw new CliError(`Usage: parapet scan ${word} ID.`);
      const api = await connect(values);
      const r = await api.call('POST', `/api/v1/probe/scans/${encodeURIComponent(id)}/${word}`, values.comment ? { comment: values.comment } : {});
      if (r.status !== 200) fail(r);
      if (io.json) io.out(JSON.stringify(r.json));
      else printScan(io, r.json);
    },
  };
}
export const scanApprove = decision('approve');
export const scanReject = decision('reject');

export const scanList: Command = {
  path: ['scan', 'list'],
  summary: 'List Probe scans, newest first.',
  usage: 'parapet scan list [--state STATE]',
  options: { ...common, state: { type: 'string' } },
  async run({ values, io }) {
    const api = await connect(values);
    const r = await api.call('GET', `/api/v1/probe/scans${values.state ? `?state=${encodeURIComponent(values.state as string)}` : ''}`);
    if (r.status !== 200) fail(r);
    const list = r.json as unknown as Array<Record<string, unknown>>;
    if (io.json) io.out(JSON.stringify(list));
    else if (list.length === 0) io.out('No scans.');
    else for (const s of list) printScan(io, s);
  },
};
