/**
 * What the people domain offers other domains: they import these names from here, never a
 * file of this folder (packages/server/test/import-rules.test.ts).
 */
export { mustEnrolMfa } from './service.js';
export { clearManagerOf, deactivateUser, eraseUser, insertUser, onUserLifecycle, reactivateUser, setPasswordHash, setUserRoles, updateUserProfile } from './users.js';
