/**
 * The safety profile envelope, embedded at build time: esbuild inlines this JSON into the
 * single-file worker, and the tsx-run worker imports it from the source tree. There is no
 * flag, environment variable or configuration file that replaces or widens it.
 */
import envelope from '../profile/safety-profile.dsse.json' with { type: 'json' };
import { verifyProfile, type SafetyProfile } from '@parapet/core/probe/profile';
import { RELEASE_PUBLIC_KEY_PEM } from './release-key.js';

export const EMBEDDED_PROFILE: unknown = envelope;

/** Verifies the embedded profile now; throws ProfileError with one sentence. */
export function loadSafetyProfile(now = new Date()): SafetyProfile {
  return verifyProfile(EMBEDDED_PROFILE, RELEASE_PUBLIC_KEY_PEM, now);
}
