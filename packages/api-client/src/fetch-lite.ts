/**
 * Small stand-ins for the Fetch standard's Headers, Request and Response (WHATWG Fetch), with
 * only the members openapi-fetch and a byte transport (`fetchOver` in @parapet/device-client)
 * use. In Node 20 the global classes are lazy getters that load undici, whose HTTP parser is
 * WebAssembly compiled at load: a long-running device process that builds its requests with
 * these classes instead never loads undici and can run V8 without WebAssembly (`--lite-mode
 * --no-expose-wasm`), which is how the Pulse agent stays within its memory goal.
 *
 * Bodies are bytes held in memory (no streams): fine for JSON requests and answers of a few
 * kilobytes; `body` is therefore not offered, and a second read of a body throws as in Fetch.
 * Node's globals are not touched: callers pass `LiteRequest` to createApiClient (`Request`),
 * and a bundle may bind openapi-fetch's own references to `Headers` / `FormData` to the
 * exports below (packages/agent/scripts/bundle.ts does).
 */

/** What a Headers-like value may be built from: another Headers-like, pairs, or a record. */
export type LiteHeadersInit = { forEach(cb: (value: string, name: string) => void): void } | Iterable<readonly [string, string]> | Record<string, string | readonly string[] | undefined>;

// RFC 9110 field-name token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Header fields with case-insensitive names (stored lower-cased), values joined with ", " on
 * `get` as Fetch does; iteration is in sorted name order. Names outside RFC 9110's token
 * grammar and values with CR, LF or NUL throw TypeError, as Fetch's Headers does.
 */
export class LiteHeaders {
  readonly #fields = new Map<string, string[]>();

  constructor(init?: LiteHeadersInit) {
    if (!init) return;
    if (typeof (init as { forEach?: unknown }).forEach === 'function' && !Array.isArray(init)) {
      (init as { forEach(cb: (value: string, name: string) => void): void }).forEach((v, k) => this.append(k, v));
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, string]>) this.append(k, v);
    } else {
      for (const [k, v] of Object.entries(init)) for (const x of v === undefined ? [] : typeof v === 'string' ? [v] : v) this.append(k, x);
    }
  }

  static #name(name: string): string {
    if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
    return name.toLowerCase();
  }

  static #value(value: string): string {
    // Fetch strips leading and trailing HTTP whitespace, then refuses CR, LF and NUL inside.
    const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (/[\r\n\0]/.test(v)) throw new TypeError('Invalid header value: CR, LF and NUL are not allowed.');
    return v;
  }

  append(name: string, value: string): void {
    const k = LiteHeaders.#name(name);
    const list = this.#fields.get(k);
    if (list) list.push(LiteHeaders.#value(value));
    else this.#fields.set(k, [LiteHeaders.#value(value)]);
  }

  set(name: string, value: string): void {
    this.#fields.set(LiteHeaders.#name(name), [LiteHeaders.#value(value)]);
  }

  delete(name: string): void {
    this.#fields.delete(LiteHeaders.#name(name));
  }

  has(name: string): boolean {
    return this.#fields.has(LiteHeaders.#name(name));
  }

  /** The field's values joined with ", ", or null when it is absent. */
  get(name: string): string | null {
    return this.#fields.get(LiteHeaders.#name(name))?.join(', ') ?? null;
  }

  /** `set-cookie` values one by one (they cannot be joined). */
  getSetCookie(): string[] {
    return [...(this.#fields.get('set-cookie') ?? [])];
  }

  *entries(): IterableIterator<[string, string]> {
    for (const k of [...this.#fields.keys()].sort()) yield [k, this.#fields.get(k)!.join(', ')];
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  forEach(cb: (value: string, name: string, headers: this) => void): void {
    for (const [k, v] of this.entries()) cb(v, k, this);
  }
}

/** Body bytes of a request or answer: a string is UTF-8. */
export type LiteBody = string | Uint8Array | ArrayBuffer | null | undefined;

const bytesOf = (b: LiteBody): Uint8Array | null =>
  b === null || b === undefined ? null : typeof b === 'string' ? new TextEncoder().encode(b) : b instanceof Uint8Array ? b : new Uint8Array(b);

/** The body part shared by LiteRequest and LiteResponse: bytes, read once. */
class LiteBodyMixin {
  #bytes: Uint8Array | null;
  #used = false;

  constructor(body: LiteBody) {
    this.#bytes = bytesOf(body);
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  #take(): Uint8Array {
    if (this.#used) throw new TypeError('Body has already been read.');
    this.#used = this.#bytes !== null;
    return this.#bytes ?? new Uint8Array(0);
  }

  /** The body's bytes (a copy); TypeError when the body was read before. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  /** The body as UTF-8 text; TypeError when the body was read before. */
  async text(): Promise<string> {
    return new TextDecoder().decode(this.#take());
  }

  /** The body parsed as JSON; SyntaxError when it is not JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/** What LiteRequest takes besides the URL (the RequestInit members it keeps). */
export interface LiteRequestInit {
  method?: string | undefined;
  headers?: LiteHeadersInit | undefined;
  body?: LiteBody;
  redirect?: string | undefined;
}

// Fetch normalises these method names to upper case; others are kept as given.
const NORMALISED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/**
 * A request: absolute `url` (string), `method`, `headers` (LiteHeaders), and its body through
 * arrayBuffer() / text() / json(). TypeError for a relative or malformed URL, or a body on GET
 * or HEAD, as Fetch's Request.
 */
export class LiteRequest extends LiteBodyMixin {
  readonly url: string;
  readonly method: string;
  readonly headers: LiteHeaders;
  readonly redirect: string;

  constructor(input: string | URL, init: LiteRequestInit = {}) {
    super(init.body);
    this.url = new URL(String(input)).href;
    const m = init.method ?? 'GET';
    this.method = NORMALISED.has(m.toUpperCase()) ? m.toUpperCase() : m;
    if ((this.method === 'GET' || this.method === 'HEAD') && init.body !== undefined && init.body !== null) throw new TypeError('A GET or HEAD request cannot have a body.');
    this.headers = new LiteHeaders(init.headers);
    this.redirect = init.redirect ?? 'follow';
  }
}

/** What LiteResponse takes besides the body. */
export interface LiteResponseInit {
  status?: number | undefined;
  statusText?: string | undefined;
  headers?: LiteHeadersInit | undefined;
}

/**
 * An answer: `status`, `ok` (200-299), `statusText`, `headers` (LiteHeaders), and its body
 * through arrayBuffer() / text() / json(). RangeError for a status outside 200-599 and
 * TypeError for a body on 204, 205 or 304, as Fetch's Response.
 */
export class LiteResponse extends LiteBodyMixin {
  readonly status: number;
  readonly statusText: string;
  readonly headers: LiteHeaders;
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'default';
  readonly url = '';

  constructor(body?: LiteBody, init: LiteResponseInit = {}) {
    super(body);
    this.status = init.status ?? 200;
    if (!Number.isInteger(this.status) || this.status < 200 || this.status > 599) throw new RangeError(`Invalid response status ${this.status}.`);
    if ((this.status === 204 || this.status === 205 || this.status === 304) && body !== null && body !== undefined) throw new TypeError(`A ${this.status} answer cannot have a body.`);
    this.statusText = init.statusText ?? '';
    this.headers = new LiteHeaders(init.headers);
    this.ok = this.status >= 200 && this.status <= 299;
  }
}

/**
 * Never constructed: openapi-fetch asks `body instanceof FormData` to leave multipart bodies
 * to the platform; bound to this class in a bundle, the answer is always no (Parapet's device
 * requests are JSON) and undici's FormData is not loaded to give it.
 */
export class LiteFormData {
  private constructor() {}
}

export { LiteHeaders as Headers, LiteFormData as FormData, LiteRequest as Request, LiteResponse as Response };
