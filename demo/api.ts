/**
 * The demo's HTTPS client: a cookie jar, the CSRF header, problem details as errors, and a
 * TOTP authenticator per person (RFC 6238 codes from the enrolled secret), so the demo signs
 * in and steps up exactly as a person with an authenticator app would.
 */
import { request } from 'node:https';
import { totpCode, TOTP_PERIOD } from '@parapet/server/auth/totp';

/** An API answer that was not 2xx: its RFC 9457 `code` and `detail`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(detail);
  }
}

export class Api {
  private readonly cookies = new Map<string, string>();
  private csrf: string | undefined;
  /** Last TOTP time step this person used; codes must move forward (replay protection). */
  lastStep = 0;
  /** When this person last stepped up (ms since the epoch). */
  private steppedUpAt = -Infinity;
  totpSecret: string | undefined;

  constructor(readonly base: string, readonly ca: string) {}

  /** GETs a file; returns its bytes or throws ApiError. */
  async download(path: string): Promise<Buffer> {
    const r = await this.send('GET', path);
    if (r.status >= 300) throw new ApiError(r.status, `http_${r.status}`, `GET ${path} answered ${r.status}.`);
    return r.body;
  }

  /** Sends JSON; returns the parsed answer or throws ApiError with the problem's code. */
  async call<T = any>(method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await this.send(method, path, json, headers);
    const text = res.body.toString('utf8');
    let parsed: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (res.status >= 300) throw new ApiError(res.status, parsed?.code ?? `http_${res.status}`, parsed?.detail ?? `${method} ${path} answered ${res.status}.`);
    if (parsed && typeof parsed === 'object' && typeof parsed.csrf_token === 'string') this.csrf = parsed.csrf_token;
    return parsed as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  private async send(method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const h: Record<string, string | number> = { ...headers };
    if (body) {
      h['content-type'] = h['content-type'] ?? 'application/json';
      h['content-length'] = body.length;
    }
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf) h['x-csrf-token'] = this.csrf;
    return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = request(this.base + path, { method, ca: this.ca, headers: h, servername: 'localhost' }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          for (const sc of ([] as string[]).concat(r.headers['set-cookie'] ?? [])) {
            const [pair] = sc.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            if (value === '' || /max-age=0/i.test(sc)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The next TOTP code this person may use: a fresh time step, waiting for one if needed. */
  async code(): Promise<string> {
    if (!this.totpSecret) throw new Error('This person has no authenticator enrolled.');
    const now = Math.floor(Date.now() / 1000);
    const step = Math.floor(now / TOTP_PERIOD);
    // The server accepts the next step too (clock drift), so two codes are available at once.
    let use = Math.max(step, this.lastStep + 1);
    if (use > step + 1) {
      await new Promise((r) => setTimeout(r, ((step + 1) * TOTP_PERIOD - now) * 1000 + 200));
      use = this.lastStep + 1;
    }
    this.lastStep = use;
    return totpCode(this.totpSecret, use * TOTP_PERIOD);
  }

  /** Password sign-in, then the second factor when one is enrolled. */
  async login(org: string, email: string, password: string): Promise<void> {
    this.steppedUpAt = -Infinity; // a step-up belongs to the session it was made in
    const r = await this.call<{ state: string }>('POST', '/api/v1/auth/login', { org, email, password });
    if (r.state !== 'mfa_required') return;
    try {
      await this.call('POST', '/api/v1/auth/mfa/verify', { code: await this.code() });
    } catch (e) {
      // A code of a step the server has already seen (an earlier run) is refused as a replay;
      // the next step's code is not.
      if (!(e instanceof ApiError) || e.code !== 'mfa_code_invalid') throw e;
      await this.call('POST', '/api/v1/auth/mfa/verify', { code: await this.code() });
    }
  }

  /** Enrols a TOTP authenticator and keeps its secret (printed for the person at the end). */
  async enrolTotp(): Promise<string[]> {
    const e = await this.call<{ secret: string }>('POST', '/api/v1/auth/mfa/totp/enroll');
    this.totpSecret = e.secret;
    const c = await this.call<{ recovery_codes: string[] }>('POST', '/api/v1/auth/mfa/totp/confirm', { code: await this.code() });
    return c.recovery_codes;
  }

  /**
   * A fresh MFA verification for step-up actions, unless this person stepped up in the last
   * 2 minutes: the server's step-up lasts 5 minutes by default, and every new code has to wait
   * for a TOTP time step not used yet (up to 30 s each).
   */
  async stepUp(): Promise<void> {
    if (Date.now() - this.steppedUpAt < 120_000) return;
    await this.call('POST', '/api/v1/auth/step-up', { code: await this.code() });
    this.steppedUpAt = Date.now();
  }
}
