/**
 * The console's only way to the server: the generated typed client (@parapet/api-client, types
 * from the server's OpenAPI document) over a same-origin fetch that sends the session cookie,
 * the session's CSRF token on unsafe methods, turns RFC 9457 problem details into ApiError, and
 * does step-up: a 401 `step_up_required` asks the registered handler (the step-up dialog) for a
 * fresh MFA verification and then repeats the original request once.
 *
 *   const people = await ok(api.GET('/api/v1/people', { signal }));
 *
 * Every call either resolves with the typed 2xx body (`ok` unwraps it) or rejects with ApiError
 * (or the AbortError of its signal). This module is the only one that calls `fetch`
 * (packages/console/test/client-only.test.ts).
 */

import { createApiClient, type ApiClient, type paths, type RequestBody, type ResponseBody as GeneratedResponseBody, type Transport } from '@parapet/api-client';
import { PROBLEM, type ProblemCode } from '@parapet/server/problem-codes';

/** The server's problem-code catalogue; compare `ApiError.code` with these, never with typed strings. */
export { PROBLEM, type ProblemCode };
/** Types of request bodies, by path and method, from the generated client. */
export type { RequestBody };

/**
 * The 2xx body of `method path`, e.g. `ResponseBody<'/api/v1/people', 'get'>`: the generated
 * type, whose members are required exactly where the route's response schema requires them.
 */
export type ResponseBody<P extends keyof paths, M extends keyof paths[P] & ('get' | 'put' | 'post' | 'delete' | 'patch')> = GeneratedResponseBody<P, M>;
/** The query parameters of `method path`, e.g. `Query<'/api/v1/audit/search', 'get'>`. */
export type Query<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

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
  /** Do not announce a 401 as sign-out (sign-in page probes, the support realm). */
  quiet401?: boolean;
  /** The CSRF token to send on unsafe methods; default the tenant session's (setCsrfToken). */
  csrf?: () => string | null;
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

/**
 * The fetch under the typed client: same-origin with cookies, CSRF on unsafe methods, a non-2xx
 * answer thrown as ApiError (so typed calls resolve only with 2xx bodies), step-up and sign-out
 * as described in the module comment.
 */
function transport(o: RequestOptions): Transport {
  const csrf = o.csrf ?? (() => csrfToken);
  const send = async (request: Request, stepUpAllowed: boolean): Promise<Response> => {
    // Kept unsent, so the request can be repeated after step-up (its body is read once).
    const again = stepUpAllowed ? request.clone() : null;
    request.headers.set('accept', 'application/json');
    const token = csrf();
    if (UNSAFE.has(request.method) && token) request.headers.set('x-csrf-token', token);
    let res: Response;
    try {
      res = await fetch(request, { credentials: 'same-origin' });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError({ status: 0, code: 'network_error', detail: 'Could not reach the server. Check your connection and try again.' });
    }
    if (res.ok) return res;
    const problem = await parseProblem(res);
    if (res.status === 401 && problem.code === PROBLEM.step_up_required && stepUpHandler && again) {
      // The step-up rotated the CSRF token: the repeat sends the new one.
      if (await stepUpHandler(problem)) return send(again, false);
      throw new ApiError({ ...problem, code: 'step_up_cancelled', detail: 'The action was not done: it needs a fresh verification.' });
    }
    if (res.status === 401 && problem.code === PROBLEM.unauthenticated && !o.quiet401) for (const fn of signedOutListeners) fn();
    throw new ApiError(problem);
  };
  return (request) => send(request, !o.noStepUp);
}

/** A typed client with these options; `api` is the one with none. */
export function apiWith(o: RequestOptions): ApiClient {
  return createApiClient({ baseUrl: location.origin, fetch: transport(o) });
}

/** The typed client for the signed-in tenant session. */
export const api: ApiClient = apiWith({});
/** The same, without step-up (the step-up and passkey calls themselves). */
export const apiNoStepUp: ApiClient = apiWith({ noStepUp: true });
/** The same, where a 401 is an answer and not a sign-out (sign-in, invitations). */
export const apiQuiet: ApiClient = apiWith({ noStepUp: true, quiet401: true });

/** A 2xx body as `ok` returns it; `undefined` for answers without one (204). */
export type Ok<D> = [D] extends [never] ? undefined : D;

/**
 * The 2xx body of a typed call. The transport has already thrown ApiError for anything else,
 * so `data` is the answer's typed body (undefined for 204).
 */
export async function ok<D>(call: Promise<{ data?: D; response: Response }>): Promise<Ok<D>> {
  return (await call).data as Ok<D>;
}

/** The signed-in session as GET /api/v1/auth/session answers it. */
export type Session = ResponseBody<'/api/v1/auth/session', 'get'>;

/** The signed-in session, or null when there is none. */
export async function loadSession(): Promise<Session | null> {
  try {
    const s = await ok(apiQuiet.GET('/api/v1/auth/session'));
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
  const r = await ok(apiNoStepUp.POST('/api/v1/auth/step-up', { body }));
  if (r?.csrf_token) setCsrfToken(r.csrf_token);
}

/** Human text for an error: the problem's detail, else its message. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.problem.detail ?? e.message;
  return e instanceof Error ? e.message : String(e);
}
