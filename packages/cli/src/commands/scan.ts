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

const TERMINAL = new Set(['finished', 'failed', 'cancelled', 'rejected', 'expired']);

/** A text progress bar of `width` cells for done/planned, with rate (probes/s) and ETA. */
export function progressLine(done: number, planned: number, elapsedMs: number, width = 30): string {
  const frac = planned > 0 ? Math.min(1, done / planned) : 0;
  const cells = Math.round(frac * width);
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = rate > 0 && planned > done ? Math.ceil((planned - done) / rate) : 0;
  return `[${'#'.repeat(cells)}${'.'.repeat(width - cells)}] ${done}/${planned || '?'} probes  ${rate.toFixed(1)}/s  ETA ${planned > done ? `${eta}s` : '-'}`;
}

export const scanWatch: Command = {
  path: ['scan', 'watch'],
  summary: 'Follow a Probe scan: every result as it arrives, a progress bar with rate and ETA, then the findings.',
  usage: 'parapet scan watch ID [--interval SECONDS]',
  options: { ...common, interval: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [id] = positionals;
    if (!id) throw new CliError('Usage: parapet scan watch ID.');
    const every = values.interval === undefined ? 1 : Number(values.interval);
    if (!(every >= 0.1 && every <= 60)) throw new CliError('--interval must be between 0.1 and 60 seconds.');
    const api = await connect(values);
    const seen = new Set<string>();
    let lastBar = '';
    for (;;) {
      const scan = await api.call('GET', `/api/v1/probe/scans/${encodeURIComponent(id)}`);
      if (scan.status !== 200) fail(scan);
      const results = await api.call('GET', `/api/v1/probe/scans/${encodeURIComponent(id)}/results`);
      if (results.status !== 200) fail(results);
      const progress = (await api.call('GET', `/api/v1/probe/scans/${encodeURIComponent(id)}/progress`)).json as { planned: number; done: number; first_at: string | null; last_at: string | null };
      for (const r of results.json as unknown as Array<Record<string, unknown>>) {
        if (seen.has(String(r.id))) continue;
        seen.add(String(r.id));
        if (io.json) io.out(JSON.stringify({ type: 'result', ...r }));
        else io.out(`${String(r.received_at).slice(11, 19)}  ${String(r.address).padEnd(15)} ${String(r.port).padStart(5)}  ${String(r.probe_type).padEnd(12)} ${String(r.outcome).padEnd(12)} ${r.reason}`);
      }
      const elapsed = progress.first_at && progress.last_at ? Date.parse(progress.last_at) - Date.parse(progress.first_at) : 0;
      const bar = `${String(scan.json.state).padEnd(9)} ${progressLine(progress.done, Math.max(progress.planned, progress.done), elapsed)}`;
      if (bar !== lastBar && !io.json) io.out(bar);
      lastBar = bar;
      if (TERMINAL.has(String(scan.json.state))) {
        const f = await api.call('GET', `/api/v1/probe/findings?scan_id=${encodeURIComponent(id)}`);
        const list = f.json as unknown as Array<Record<string, unknown>>;
        if (io.json) io.out(JSON.stringify({ type: 'end', state: scan.json.state, findings: list }));
        else {
          io.out(`Scan ${id} ${scan.json.state}: ${progress.done} probes, ${list.length} findings.`);
          for (const x of list) io.out(`  ${String(x.severity).padEnd(8)} ${x.address}:${x.port}  ${x.title} (first seen ${String(x.first_seen_at).slice(0, 10)}, ${x.status})`);
        }
        return;
      }
      await new Promise((r) => setTimeout(r, every * 1000));
    }
  },
};
