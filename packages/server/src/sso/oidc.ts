/**
 * The OpenID Connect client side, on `openid-client` v6 (discovery, PKCE, code exchange, ID
 * token validation: signature via the IdP's JWKS, iss, aud/azp, exp/iat, nonce, state, iss
 * response parameter). This file only adapts it: issuer URL policy, a discovery cache and a
 * mapping from its errors to Parapet's problem codes.
 */
import * as oidc from 'openid-client';
import { ProblemError } from '../http/problem.js';
import { isMultiTenantIssuer } from './presets.js';

/**
 * Seconds of clock difference accepted on exp/nbf (by openid-client) and on iat in the future
 * (checkIssuedAt: openid-client only bounds iat in the past).
 */
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
    const x = e as { code?: string; cause?: { attribute?: string; body?: { issuer?: unknown }; expected?: string } };
    if (x.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && x.cause?.attribute === 'issuer') {
      throw new ProblemError(400, 'sso_issuer_mismatch', `The configured issuer ${url.href} differs from the issuer the provider names in its discovery document (${String(x.cause.body?.issuer)}); configure exactly that issuer.`);
    }
    throw new ProblemError(502, 'sso_idp_unreachable', `The identity provider's discovery document could not be read (${(e as Error).message}).`);
  }
  if (isMultiTenantIssuer(config.serverMetadata().issuer)) {
    throw new ProblemError(400, 'sso_multi_tenant_directory', 'The issuer accepts sign-ins from any directory; configure your own directory (tenant) id instead.');
  }
  cache.set(key, { at: Date.now(), config });
  return config;
}

/**
 * Refuses an ID token issued more than CLOCK_TOLERANCE_SECONDS in the future (OpenID Connect
 * Core 3.1.3.7 item 10: iat bounds how long ago the token was made; a future one is a clock
 * fault or a forgery made to outlive its exp window). `nowMs` is the server clock in ms.
 * Throws 401 sso_id_token_expired.
 */
export function checkIssuedAt(claims: Record<string, unknown>, nowMs: number): void {
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new ProblemError(401, 'sso_id_token_invalid', 'The ID token carries no numeric iat.');
  if (iat > nowMs / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw new ProblemError(401, 'sso_id_token_expired', `The ID token was issued ${Math.round(iat - nowMs / 1000)} s in the future (more than the ${CLOCK_TOLERANCE_SECONDS} s allowed); check the identity provider's clock.`);
  }
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
