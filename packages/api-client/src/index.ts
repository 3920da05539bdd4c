/**
 * A typed client for the Parapet HTTP API (`/api/v1/...`): paths, parameters, request bodies
 * and responses come from the server's OpenAPI document (src/schema.ts, generated), requests
 * go through openapi-fetch. The transport is the caller's: pass `fetch` to send requests over
 * a pinned TLS connection (the CLI's, the device client's) instead of the global fetch.
 *
 *   const api = createApiClient({ baseUrl: 'https://parapet.example', fetch: pinnedFetch });
 *   const { data, error, response } = await api.GET('/api/v1/posture');
 *
 * `data` is the typed 2xx body; `error` the typed problem body (RFC 9457) otherwise.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { HttpMethod, OperationRequestBodyContent, SuccessResponseJSON } from 'openapi-typescript-helpers';
import type { paths } from './schema.js';
import type { LiteRequest } from './fetch-lite.js';

export type { paths, components, operations } from './schema.js';

/** The JSON body of a 2xx answer to `method path`, e.g. `ResponseBody<'/api/v1/people', 'get'>`. */
export type ResponseBody<P extends keyof paths, M extends keyof paths[P] & HttpMethod> = SuccessResponseJSON<paths[P][M] & Record<string | number, unknown>>;

/** The JSON request body of `method path`. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P] & HttpMethod> = NonNullable<OperationRequestBodyContent<paths[P][M]>>;

/** The client type: openapi-fetch's Client over the Parapet paths. */
export type ApiClient = Client<paths>;

/** A fetch-compatible transport: takes a Request, resolves to a Response. */
export type Transport = (request: Request) => Promise<Response>;

/**
 * Creates a typed client. `baseUrl` is the server's origin (no trailing slash needed; paths
 * carry `/api/v1`). `fetch` defaults to the global fetch. `Request` is the class requests are
 * built with, default the global Request; a Node process that must not load undici passes
 * LiteRequest (./fetch-lite.ts) together with a transport that answers without Node's
 * Response (device-client's `fetchOver`).
 */
export function createApiClient(o: { baseUrl: string; fetch?: Transport; headers?: ClientOptions['headers']; Request?: typeof Request | typeof LiteRequest }): ApiClient {
  return createClient<paths>({
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.headers ? { headers: o.headers } : {}),
    // LiteRequest has the members openapi-fetch and fetchOver use, not all of Request's.
    ...(o.Request ? { Request: o.Request as typeof Request } : {}),
  });
}

/** One answer from a non-fetch transport, as `transportFrom` needs it. */
export interface RawAnswer {
  status: number;
  /** The parsed JSON body ({} when there was none). */
  json: unknown;
}

/**
 * Adapts a JSON request function (method, path with query, parsed body) → RawAnswer, such as
 * the CLI's pinned, step-up-aware `Api.call`, to a fetch-compatible Transport for
 * createApiClient. `baseUrl` is stripped from the request URL to get the path.
 */
export function transportFrom(baseUrl: string, send: (method: string, path: string, body?: unknown) => Promise<RawAnswer>): Transport {
  const base = new URL(baseUrl);
  return async (request) => {
    const url = new URL(request.url);
    if (url.origin !== base.origin) throw new Error(`The API client asked for ${url.origin}, not ${base.origin}.`);
    const text = request.body ? await request.text() : '';
    const r = await send(request.method, url.pathname + url.search, text ? JSON.parse(text) : undefined);
    // A 204/205/304 answer must not carry a body.
    const empty = r.status === 204 || r.status === 205 || r.status === 304;
    return new Response(empty ? null : JSON.stringify(r.json ?? {}), { status: r.status, headers: { 'content-type': 'application/json' } });
  };
}
