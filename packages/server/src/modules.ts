import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.js';
import { healthRoutes } from './health/routes.js';
import { bootstrapRoutes } from './tenants/routes.js';
import { authRoutes } from './auth/routes.js';
import { auditRoutes } from './audit/routes.js';
import { scimRoutes } from './scim/routes.js';
import { ssoRoutes } from './sso/routes.js';
import { deviceRoutes } from './devices/routes.js';
import { probeRoutes } from './probe/routes.js';
import { probeReportRoutes } from './probe/report-routes.js';
import { webhookRoutes } from './webhooks/routes.js';
import { evidenceExportRoutes } from './probe/evidence-export.js';
import { probeRunRoutes } from './probe/run-routes.js';
import { consoleRoutes } from './console/routes.js';
import { peopleRoutes } from './people/routes.js';
import { auditConsoleRoutes } from './audit/routes-console.js';
import { organisationRoutes } from './organisation/routes.js';
import { governanceRoutes } from './governance/routes.js';
import { supportRoutes } from './governance/support-routes.js';
import { pulseRoutes } from './pulse/routes.js';
import { postureRoutes } from './posture/routes.js';

/**
 * Every domain module, in registration order. A module is an encapsulated Fastify plugin
 * that receives AppDeps; add yours here, with its routes under /api/v1/<domain>.
 */
export const domainModules: Array<(app: FastifyInstance, deps: AppDeps) => Promise<void>> = [
  healthRoutes,
  bootstrapRoutes,
  authRoutes,
  auditRoutes,
  scimRoutes,
  ssoRoutes,
  deviceRoutes,
  probeRoutes,
  probeReportRoutes,
  webhookRoutes,
  evidenceExportRoutes,
  probeRunRoutes,
  peopleRoutes,
  auditConsoleRoutes,
  organisationRoutes,
  governanceRoutes,
  supportRoutes,
  pulseRoutes,
  postureRoutes,
  // Last: its catch-all GET serves the SPA for every path no module claimed.
  consoleRoutes,
];
