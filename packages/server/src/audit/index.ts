/**
 * What the audit domain offers other domains: they import these names from here, never a
 * file of this folder (packages/server/test/import-rules.test.ts).
 */
export { destroySubjectKey, revealPii, sealActorPii } from './pii.js';
export { ensureLogKey, issueCheckpoint, logKeys, logOrigin, openLogSigner, treeFor } from './service.js';
export { auditStatus } from './status.js';
export type { AuditStatus } from './status.js';
export { recordBudgeted, recordUnauthenticated } from './unauthenticated.js';
export { AUDIT_WITNESSES } from './witness-client.js';
