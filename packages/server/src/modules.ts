import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.js';
import { healthRoutes } from './health/routes.js';
import { bootstrapRoutes } from './tenants/routes.js';
import { authRoutes } from './auth/routes.js';
import { consoleRoutes } from './console/routes.js';

/**
 * Every domain module, in registration order. A module is an encapsulated Fastify plugin
 * that receives AppDeps; add yours here, with its routes under /api/v1/<domain>.
 */
export const domainModules: Array<(app: FastifyInstance, deps: AppDeps) => Promise<void>> = [
  healthRoutes,
  bootstrapRoutes,
  authRoutes,
  consoleRoutes,
];
