/**
 * The CLI's HTTPS client for the Parapet API, for commands that act as a signed-in person
 * (scans, people): authorization and step-up MFA stay with the server, so a CLI user meets the
 * same rules as a console user.
 *
 * Where the session comes from, first match wins: `--session-file FILE` (a raw cookie value or
 * a file `parapet login` wrote), `PARAPET_SESSION` (a raw cookie value), the file `parapet
 * login` wrote (`PARAPET_SESSION_FILE`, default `~/.config/parapet/session.json`, mode 0600).
 * Which server: `--server URL`, `PARAPET_SERVER_URL`, the stored session's server, or the
 * running server of the data dir. Trust: the data dir's pinned certificate for that local
 * server, else `PARAPET_CA_FILE` (or the CA file stored at login), else the system store.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readServerInfo } from '@parapet/server';
import { PinMismatchError, send, type HttpResponse, type Trust } from '@parapet/device-client/transport';
import { CliError, type Io } from './command.js';
import { createApiClient, transportFrom, type ApiClient } from '@parapet/api-client';
import { cliConfig } from './context.js';

export const SESSION_COOKIE = '__Host-parapet_session';

/** What `parapet login` stores. `cookie` is the session cookie value (a bearer secret). */
export interface StoredSession {
  server: string;
  cookie: string;
  org: string;
  email: string;
  ca_file?: string | undefined;
  pin?: string | undefined;
  saved_at: string;
}

export interface ApiResponse {
  status: number;
  json: Record<string, unknown> & { code?: string; detail?: string };
  setCookie?: string | undefined;
}

export interface Api {
  url: string;
  /** One request; never follows step-up. */
  raw(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** One request; on 401 step_up_required, asks for an MFA code (--mfa-code or the terminal), verifies and repeats once. */
  call(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** The typed client (@parapet/api-client) over `call`: same pinned transport, same step-up handling. */
  client: ApiClient;
}

/** Options every API command takes (documented in each usage line). */
export const API_OPTIONS = { server: { type: 'string' }, 'session-file': { type: 'string' }, 'mfa-code': { type: 'string' } } as const;
export const API_USAGE = '[--server URL] [--session-file FILE] [--mfa-code CODE]';
/** The environment the API commands read, for help texts. */
export const API_ENV_HELP = [
  'Session: run "parapet login" first (stored in PARAPET_SESSION_FILE, default ~/.config/parapet/session.json),',
  'or set PARAPET_SESSION to a session cookie value, or pass --session-file FILE.',
  'Server: --server URL or PARAPET_SERVER_URL (default: the stored session, or the running server of PARAPET_DATA_DIR).',
  'TLS: PARAPET_CA_FILE trusts a self-signed server certificate (e.g. .parapet/tls/server.crt).',
  'Step-up: actions that need fresh MFA take --mfa-code CODE, or ask on the terminal.',
].join('\n');

export function defaultSessionFile(): string {
  if (process.env.PARAPET_SESSION_FILE) return resolve(process.env.PARAPET_SESSION_FILE);
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'parapet', 'session.json');
}

async function readStored(file: string): Promise<StoredSession | string | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read the session file ${file}: ${(e as Error).message}.`);
  }
  if (!text.startsWith('{')) return text;
  try {
    return JSON.parse(text) as StoredSession;
  } catch {
    throw new CliError(`The session file ${file} is damaged; run "parapet login" again.`);
  }
}

export async function writeStoredSession(file: string, s: StoredSession): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

export async function removeStoredSession(file: string): Promise<boolean> {
  const had = (await readStored(file)) !== undefined;
  await rm(file, { force: true });
  return had;
}

/**
 * An HTTPS client for `url`, pinned or CA-trusted as described above. `cookie` is sent as the
 * session; a rotated cookie from the server (step-up, MFA) replaces it and is reported to
 * `onCookie`.
 */
export async function httpClient(url: string, o: { cookie?: string | undefined; pin?: string | undefined; caFile?: string | undefined; onCookie?: (c: string) => Promise<void> }): Promise<Api & { cookie(): string | undefined; setCsrf(t: string): void }> {
  let ca: string | undefined;
  if (o.caFile) {
    try {
      ca = await readFile(o.caFile, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read the CA file ${o.caFile} (PARAPET_CA_FILE / --ca): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
  }
  const pin = o.pin;
  let cookie = o.cookie;
  let csrf = '';
  // Device-client's transport: a pin is checked on secureConnect, before any byte is written.
  const trust: Trust = pin ? { pin } : { ca, pins: [] };
  const mismatch = () => new CliError(`The server at ${url} does not have the pinned certificate (SPKI SHA-256 ${pin}).`);
  const exchange = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      ...(cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}),
      ...(csrf ? { 'x-csrf-token': csrf } : {}),
      ...(data ? { 'content-type': 'application/json' } : {}),
      accept: 'application/json',
      'user-agent': 'parapet-cli',
    };
    let res: HttpResponse;
    try {
      res = await send(new URL(url + path), method, headers, data, trust);
    } catch (e) {
      throw e instanceof PinMismatchError ? mismatch() : new CliError(`Cannot reach ${url}: ${tlsHint(e as Error)}`);
    }
    let json: ApiResponse['json'] = {};
    try {
      json = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    } catch {
      /* not JSON */
    }
    let setCookie: string | undefined;
    for (const sc of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(sc);
      if (m) setCookie = m[1];
    }
    return { status: res.status, json, setCookie };
  };
  // A rotated session cookie (step-up, MFA) and a new CSRF token replace the old ones.
  const raw = (method: string, path: string, body?: unknown) =>
    exchange(method, path, body).then(async (r) => {
      if (r.setCookie && r.setCookie !== cookie) {
        cookie = r.setCookie;
        await o.onCookie?.(r.setCookie);
      }
      if (typeof r.json.csrf_token === 'string') csrf = r.json.csrf_token;
      return r;
    });
  return {
    url,
    raw,
    call: raw,
    client: createApiClient({ baseUrl: url, fetch: transportFrom(url, raw) }),
    cookie: () => cookie,
    setCsrf: (t) => {
      csrf = t;
    },
  };
}

function tlsHint(e: Error & { code?: string }): string {
  if (e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || e.code === 'SELF_SIGNED_CERT_IN_CHAIN' || e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return `its certificate is not trusted (${e.code}); set PARAPET_CA_FILE to the server certificate (the data dir's tls/server.crt).`;
  }
  return `${e.message}.`;
}

/** Where an API command talks to, and as whom (see the module comment). */
export async function connect(values: Record<string, unknown>, io?: Io): Promise<Api> {
  const config = cliConfig();
  const file = values['session-file'] ? resolve(values['session-file'] as string) : undefined;
  const storedFile = defaultSessionFile();
  let source: StoredSession | string | undefined;
  if (file) {
    source = await readStored(file);
    if (source === undefined) throw new CliError(`The session file ${file} does not exist.`);
  } else {
    source = process.env.PARAPET_SESSION || (await readStored(storedFile));
  }
  const record = typeof source === 'object' ? source : undefined;
  const cookie = typeof source === 'string' ? source : record?.cookie;
  if (!cookie) throw new CliError('No session: run "parapet login", or set PARAPET_SESSION to your session cookie value, or pass --session-file FILE.');

  const info = await readServerInfo(config.dataDir);
  const url = ((values.server as string | undefined) || process.env.PARAPET_SERVER_URL || record?.server || info?.url)?.replace(/\/+$/, '');
  if (!url) throw new CliError(`No server to talk to: pass --server URL or set PARAPET_SERVER_URL (no server is running on the data dir ${config.dataDir}).`);
  const pin = info && info.url === url ? info.spkiSha256 : record && record.server === url ? record.pin : undefined;
  const caFile = process.env.PARAPET_CA_FILE || (record && record.server === url ? record.ca_file : undefined);
  const persist = record ? (file ?? storedFile) : undefined;
  const c = await httpClient(url, {
    cookie, pin, caFile,
    onCookie: async (next) => {
      if (persist && record) await writeStoredSession(persist, { ...record, cookie: next });
    },
  });
  // The session check and step-up go through the typed client over the same raw transport.
  const typed = createApiClient({ baseUrl: url, fetch: transportFrom(url, c.raw) });
  const who = await typed.GET('/api/v1/auth/session');
  if (who.response.status !== 200) throw new CliError('The session is not valid (expired, signed out or revoked); run "parapet login" again.');
  const mfaCode = values['mfa-code'] as string | undefined;
  let asked = false;
  async function call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const r = await c.raw(method, path, body);
    if (r.status !== 401 || r.json.code !== 'step_up_required' || asked) return r;
    const code = mfaCode ?? (io && process.stdin.isTTY ? await io.prompt('This needs a fresh MFA verification. Code from your authenticator app (or a recovery code): ', true) : undefined);
    if (!code) return r;
    asked = true;
    const s = await typed.POST('/api/v1/auth/step-up', { body: code.trim().length === 6 ? { code: code.trim() } : { recovery_code: code.trim() } });
    if (s.response.status !== 200) return { status: s.response.status, json: (s.error ?? {}) as ApiResponse['json'] };
    return c.raw(method, path, body);
  }
  return { url, raw: c.raw, call, client: createApiClient({ baseUrl: url, fetch: transportFrom(url, call) }) };
}

/** `fail` for a typed client answer (`error` is the problem body). */
export function failTyped(r: { response: Response; error?: unknown }): never {
  fail({ status: r.response.status, json: (r.error ?? {}) as ApiResponse['json'] });
}

/** Turns a problem answer into the CLI's one sentence. */
export function fail(r: ApiResponse): never {
  const hint = r.json.code === 'step_up_required' ? ' Repeat with --mfa-code CODE (from your authenticator app), or run it on a terminal to be asked.' : '';
  throw new CliError(`${r.json.detail ?? `The server answered ${r.status}.`} (${r.json.code ?? r.status}).${hint}`);
}
