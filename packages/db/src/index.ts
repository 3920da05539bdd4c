export * from './types.js';
export { applyContext, SETTING } from './context.js';
export { APP_ROLE, OWNER_ROLE, ident } from './roles.js';
export { loadMigrations, runMigrations, ensureRoles, grantAppRole, pendingVersions, MigrationError, MIGRATIONS_DIR, type AdminSession, type Migration } from './migrate.js';
export { PgliteDatabase, preparePglite } from './pglite.js';
export { PostgresDatabase, UnsafeRoleError, unsafeRoleReasons, type PostgresOptions } from './postgres.js';
export { openDatabase, type OpenOptions } from './open.js';
export { isUniqueViolation, isRlsViolation, pgErrorCode } from './errors.js';
export { buildTemplate, readTemplate, templatePath, isEmptyDataDir, TEMPLATE_DIR } from './template.js';
