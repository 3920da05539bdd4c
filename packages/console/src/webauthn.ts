/**
 * Passkeys and security keys: the server's WebAuthn ceremonies (auth/webauthn.ts) driven from
 * the browser. @simplewebauthn/browser converts the server's base64url JSON options to the
 * ArrayBuffers navigator.credentials wants and the answer back to JSON (plain ES module, no
 * eval or inline script, so it runs under the console's CSP).
 */
import { browserSupportsWebAuthn, startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { api, apiNoStepUp, apiQuiet, ApiError, ok, PROBLEM, setCsrfToken, type ResponseBody } from './api';

export type PasskeyOptions = PublicKeyCredentialRequestOptionsJSON;

/** A second factor as GET /api/v1/auth/mfa lists it. */
export type Factor = ResponseBody<'/api/v1/auth/mfa', 'get'>['factors'][number];
/** A passkey or security key as GET /api/v1/auth/mfa lists it. */
export type WebauthnFactor = Extract<Factor, { type: 'webauthn' }>;
/** Whether a factor is a passkey or security key. */
export const isWebauthn = (f: Factor): f is WebauthnFactor => f.type === 'webauthn';

export const webauthnSupported = (): boolean => browserSupportsWebAuthn();

/** A browser-side failure (cancelled, timed out, key already registered) as one sentence. */
export function webauthnMessage(e: unknown): string | null {
  const name = e instanceof WebAuthnError ? (e.cause as Error | undefined)?.name ?? e.name : e instanceof Error ? e.name : '';
  if (e instanceof WebAuthnError && e.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This passkey or security key is already registered.';
  if (name === 'NotAllowedError' || name === 'AbortError') return 'The passkey request was cancelled, timed out, or found no registered key on this device. Try again, or use a code.';
  if (name === 'InvalidStateError') return 'This passkey or security key is already registered.';
  if (name === 'SecurityError') return 'This browser refused the request for this site address; open the console at its configured address.';
  return null;
}

/** Registers a new passkey or security key; answers recovery codes when these are the user's first. */
export async function registerPasskey(name: string): Promise<{ recovery_codes?: string[] }> {
  // The options' schema is free-form (WebAuthn's own JSON); @simplewebauthn/browser types it.
  const optionsJSON = (await ok(api.POST('/api/v1/auth/webauthn/register/options'))) as unknown as PublicKeyCredentialCreationOptionsJSON;
  const response = await startRegistration({ optionsJSON });
  const r = await ok(api.POST('/api/v1/auth/webauthn/register/verify', { body: { response: { ...response }, ...(name ? { name } : {}) } }));
  setCsrfToken(r.csrf_token); // the session rotated
  return r.recovery_codes ? { recovery_codes: r.recovery_codes } : {};
}

/**
 * Asks the server for assertion options: works for a half-signed-in login (mfa_required) and
 * for step-up. Null when the user has no key (409 no_webauthn_credentials), so callers can
 * hide the option.
 */
export async function passkeyOptions(o: { quiet401?: boolean } = {}): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  try {
    // Free-form schema (WebAuthn's own JSON), typed by @simplewebauthn/browser.
    return (await ok((o.quiet401 ? apiQuiet : apiNoStepUp).POST('/api/v1/auth/webauthn/authenticate/options'))) as unknown as PublicKeyCredentialRequestOptionsJSON;
  } catch (e) {
    if (e instanceof ApiError && e.code === PROBLEM.no_webauthn_credentials) return null;
    throw e;
  }
}

/** Completes a login's second factor, or a step-up, with a passkey or security key. */
export async function verifyWithPasskey(o: { quiet401?: boolean; options?: PublicKeyCredentialRequestOptionsJSON | null } = {}): Promise<void> {
  // Options fetched ahead (to decide whether to offer a passkey) are used as they are, so the
  // browser prompt opens straight from the click (Safari wants the user's gesture).
  const optionsJSON = o.options ?? (await passkeyOptions({ quiet401: o.quiet401 ?? false }));
  if (!optionsJSON) throw new ApiError({ status: 409, code: PROBLEM.no_webauthn_credentials, detail: 'You have no passkey or security key registered.' });
  const response = await startAuthentication({ optionsJSON });
  const r = await ok((o.quiet401 ? apiQuiet : apiNoStepUp).POST('/api/v1/auth/webauthn/authenticate/verify', { body: { response: { ...response } } }));
  setCsrfToken(r.csrf_token);
}
