/**
 * The server's public origin for links it writes into responses (SCIM meta.location, $ref).
 * It comes from configuration, never from a request's Host header: a client that sends
 * `Host: evil.example` must not make the server describe its resources as living there.
 */

/**
 * The origin (`https://host[:port]`, no path) of PARAPET_PUBLIC_URL when it is set and is an
 * absolute http(s) URL; else `https://localhost:<localPort>` (the port the request arrived
 * on, a property of the socket, not of anything the client sent). Throws nothing: a malformed
 * PARAPET_PUBLIC_URL falls back the same way (the server refuses such a value at start-up
 * only where it is required).
 */
export function publicOrigin(localPort: number | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.PARAPET_PUBLIC_URL;
  if (raw) {
    try {
      const u = new URL(raw);
      if (u.protocol === 'https:' || u.protocol === 'http:') return u.origin;
    } catch {
      // fall through to the local default
    }
  }
  return `https://localhost${localPort && localPort !== 443 ? `:${localPort}` : ''}`;
}
