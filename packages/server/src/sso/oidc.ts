/**
 * The OpenID Connect client side, on `openid-client` v6 (discovery, PKCE, code exchange, ID
 * token validation: signature via the IdP's JWKS, iss, aud/azp, exp/iat, nonce, state, iss
 * response parameter). This file only adapts it: issuer URL policy, a discovery cache and a
 * mapping from its errors to Parapet's problem codes.
 */
import * as oidc from 'openid-client';
import { ProblemError } from '../http/problem.js';

/** Seconds of clock difference accepted on exp/iat/nbf. */
export const CLOCK_TOLERANCE_SECONDS = 30;
const DISCOVERY_TTL_MS = 10 * 60_000;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Plain http is refused, except to a loopback IdP when PARAPET_SSO_ALLOW_HTTP_LOOPBACK=1 (tests
 * run a real provider on 127.0.0.1 without TLS; openid-client then needs allowInsecureRequests).
 */
export function checkIssuerUrl(issuer: string): { url: URL; insecure: boolean } {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ProblemError(400, 'sso_issuer_invalid', 'The issuer is not a URL.');
  }
  if (url.username || url.password || url.search || url.hash) throw new ProblemError(400, 'sso_issuer_invalid', 'The issuer URL may not carry credentials, a query or a fragment.');
  if (url.protocol === 'https:') return { url, insecure: false };
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname) && process.env.PARAPET_SSO_ALLOW_HTTP_LOOPBACK === '1') return { url, insecure: true };
  throw new ProblemError(400, 'sso_issuer_invalid', 'The issuer must be an https URL.');
}

const cache = new Map<string, { at: number; config: oidc.Configuration }>();

/** Discovers (and caches) the IdP metadata for one client registration. */
export async function clientConfig(issuer: string, clientId: string, clientSecret: string | undefined): Promise<oidc.Configuration> {
  const key = JSON.stringify([issuer, clientId, clientSecret ?? '']);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
  const { url, insecure } = checkIssuerUrl(issuer);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(url, clientId, { [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS }, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 10,
    });
  } catch (e) {
    throw new ProblemError(502, 'sso_idp_unreachable', `The identity provider's discovery document could not be read (${(e as Error).message}).`);
  }
  cache.set(key, { at: Date.now(), config });
  return config;
}

/** The claim an openid-client / oauth4webapi validation error is about, if any. */
function failedClaim(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const claim = (c as { claim?: unknown }).claim;
    if (typeof claim === 'string') return claim;
  }
  return undefined;
}

/** Maps a failed code exchange / ID token validation to a stable problem. */
export function callbackProblem(e: unknown): ProblemError {
  if (e instanceof ProblemError) return e;
  const code = (e as { code?: string }).code ?? '';
  const claim = failedClaim(e);
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'nonce') return new ProblemError(401, 'sso_nonce_mismatch', 'The ID token was not issued for this login (nonce mismatch).');
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && (claim === 'aud' || claim === 'azp')) return new ProblemError(401, 'sso_audience_mismatch', 'The ID token was issued to another client.');
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'iss') return new ProblemError(401, 'sso_issuer_mismatch', 'The ID token comes from another issuer.');
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') return new ProblemError(401, 'sso_id_token_expired', 'The ID token has expired or is not valid yet.');
  if (e instanceof oidc.AuthorizationResponseError) return new ProblemError(401, 'sso_idp_error', `The identity provider refused the login (${e.error}).`);
  if (e instanceof oidc.ResponseBodyError) return new ProblemError(401, 'sso_code_rejected', `The identity provider refused the authorization code (${e.error}).`);
  return new ProblemError(401, 'sso_id_token_invalid', `The identity provider's response failed validation (${(e as Error).message}).`);
}

export { oidc };
