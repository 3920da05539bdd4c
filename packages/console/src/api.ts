/**
 * The console's only way to the server: same-origin fetch with the session cookie, the
 * session's CSRF token on unsafe methods, RFC 9457 problem details turned into ApiError, and
 * step-up: a 401 `step_up_required` asks the registered handler (the step-up dialog) for a
 * fresh MFA verification and then repeats the original request once.
 */

import { PROBLEM, type ProblemCode } from '@parapet/server/problem-codes';

/** The server's problem-code catalogue; compare `ApiError.code` with these, never with typed strings. */
export { PROBLEM, type ProblemCode };

/**
 * The codes an ApiError carries: the server's catalogue, plus three the console makes itself
 * (the server unreachable, a step-up the user cancelled, and `http_<status>` for an answer that
 * was not a problem document). Comparing `code` with anything else is a type error.
 */
export type ApiErrorCode = ProblemCode | 'network_error' | 'step_up_cancelled' | `http_${number}`;

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: ApiErrorCode;
  detail?: string;
  request_id?: string;
  [ext: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `Request failed (${problem.status}).`);
  }
  get status() {
    return this.problem.status;
  }
  get code() {
    return this.problem.code;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let csrfToken: string | null = null;

/** The session's CSRF token (from /auth/session, login, MFA and step-up answers). */
export function setCsrfToken(t: string | null): void {
  csrfToken = t;
}

/** Resolves true once the user verified (the request is then repeated), false if they cancel. */
export type StepUpHandler = (p: Problem) => Promise<boolean>;
let stepUpHandler: StepUpHandler | null = null;
export function setStepUpHandler(h: StepUpHandler | null): void {
  stepUpHandler = h;
}

/** Listeners told when the session ended under us (401 unauthenticated), to show sign-in. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(fn: () => void): () => void {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
}

export interface RequestOptions {
  /** Do not open the step-up dialog (the step-up call itself, or a repeat). */
  noStepUp?: boolean;
  /** Do not announce a 401 as sign-out (sign-in page probes). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

async function parseProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as Partial<Problem>;
    // The server answers only catalogued codes (packages/server/test/problem-codes.test.ts).
    if (j && typeof j === 'object') return { ...j, status: j.status ?? res.status, code: j.code ?? `http_${res.status}` };
  } catch {
    // not JSON: fall through
  }
  return { status: res.status, code: `http_${res.status}`, detail: `The server answered ${res.status} ${res.statusText}.` };
}

export async function request<T>(method: string, path: string, body?: unknown, o: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError({ status: 0, code: 'network_error', detail: 'Could not reach the server. Check your connection and try again.' });
  }
  if (res.ok) {
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const problem = await parseProblem(res);
  if (res.status === 401 && problem.code === PROBLEM.step_up_required && stepUpHandler && !o.noStepUp) {
    if (await stepUpHandler(problem)) return request<T>(method, path, body, { ...o, noStepUp: true });
    throw new ApiError({ ...problem, code: 'step_up_cancelled', detail: 'The action was not done: it needs a fresh verification.' });
  }
  if (res.status === 401 && problem.code === PROBLEM.unauthenticated && !o.quiet401) for (const fn of signedOutListeners) fn();
  throw new ApiError(problem);
}

export const api = {
  get: <T>(path: string, o?: RequestOptions) => request<T>('GET', path, undefined, o),
  post: <T>(path: string, body?: unknown, o?: RequestOptions) => request<T>('POST', path, body ?? {}, o),
  put: <T>(path: string, body?: unknown, o?: RequestOptions) => request<T>('PUT', path, body ?? {}, o),
  del: <T>(path: string, o?: RequestOptions) => request<T>('DELETE', path, undefined, o),
};

export interface Session {
  tenant_id: string;
  user_id: string;
  email: string;
  roles: string[];
  mfa_verified_at: string | null;
  csrf_token: string;
}

/** The signed-in session, or null when there is none. */
export async function loadSession(): Promise<Session | null> {
  try {
    const s = await api.get<Session>('/api/v1/auth/session', { quiet401: true });
    setCsrfToken(s.csrf_token);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw e;
  }
}

/** POSTs a TOTP code (or recovery code) to the step-up endpoint; the CSRF token rotates. */
export async function stepUp(code: string): Promise<void> {
  const body = code.length === 6 ? { code } : { recovery_code: code };
  const r = await api.post<{ csrf_token?: string }>('/api/v1/auth/step-up', body, { noStepUp: true });
  if (r?.csrf_token) setCsrfToken(r.csrf_token);
}

/** Human text for an error: the problem's detail, else its message. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.problem.detail ?? e.message;
  return e instanceof Error ? e.message : String(e);
}

/** True when the server has no such route yet (a module not deployed on this server). */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && e.code === PROBLEM.not_found;
}
