/**
 * What the tenants domain offers other domains: they import these names from here, never a
 * file of this folder (packages/server/test/import-rules.test.ts).
 */
export { listTenantIds, tenantBySlug } from './service.js';
