export { buildApp, type BuildOptions } from './app.js';
export { startServer, type RunningServer } from './main.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export type { AppDeps } from './deps.js';
export { ProblemError, problemBody, PROBLEM_CONTENT_TYPE } from './http/problem.js';
export { createOrganisation, tenantBySlug, slugify, listTenantIds, type Tenant } from './tenants/service.js';
export { loadTls, createSelfSigned, spkiSha256, type TlsMaterial } from './tls/certificate.js';
export { loadKeyFile, rotateKeyFile, retireKey } from './crypto/keyfile.js';
export { dataPaths, readServerInfo } from './datadir.js';
