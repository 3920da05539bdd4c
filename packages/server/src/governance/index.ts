/**
 * What the governance domain offers other domains: they import these names from here, never a
 * file of this folder (packages/server/test/import-rules.test.ts).
 */
export { registerEraser } from './erasure.js';
export { SUPPORT_GRANT_DEFAULT_MAX_HOURS, SUPPORT_GRANT_HARD_MAX_HOURS, SUPPORT_GRANT_MAX_HOURS, maxGrantHours } from './support.js';
