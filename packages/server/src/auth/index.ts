/**
 * What the auth domain offers other domains: they import these names from here, never a
 * file of this folder (packages/server/test/import-rules.test.ts).
 */
export { WeakPasswordError, checkPasswordPolicy, hashPassword } from './password.js';
export { delegatedCategories, subjectRelations } from './relations.js';
export { SECURITY_ALERT_TOPIC, enqueueSecurityAlert } from './security-alerts.js';
export { CSRF_HEADER, SESSION_COOKIE, createSession, revokeUserSessions, sessionCookieOptions } from './sessions.js';
export type { SessionState } from './sessions.js';
export { getAuthSettings, mustEnrolMfa } from './settings.js';
export { unlockUser } from './unlock.js';
export { creationOptions, relyingParty, requestOptions, webauthnLib } from './webauthn.js';
