import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from './problem.js';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry, for modules that add their own metrics. */
    metrics: Registry;
  }
}

/**
 * Prometheus metrics. One registry per app instance, so tests can run several apps.
 * With `token` (the server always passes one: PARAPET_METRICS_TOKEN, else `metrics.token` in
 * the data dir), GET /metrics needs `Authorization: Bearer <token>` (Prometheus:
 * `authorization: {credentials_file: …}`); otherwise 401 `metrics_token_required`. The
 * metrics name routes, volumes and internals an outsider should not read.
 */
export function registerMetrics(app: FastifyInstance, token?: string): Registry {
  const registry = new Registry();
  app.decorate('metrics', registry);
  collectDefaultMetrics({ register: registry, prefix: 'parapet_' });
  const requests = new Counter({
    name: 'parapet_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'parapet_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, not the URL: ids in paths would explode label cardinality.
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  const digest = (x: string) => createHash('sha256').update(x).digest();
  const expected = token ? digest(token) : undefined;
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (expected) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        throw new ProblemError(401, 'metrics_token_required', 'Metrics need the bearer token from PARAPET_METRICS_TOKEN or the data dir file metrics.token.', {}, { 'www-authenticate': 'Bearer realm="parapet-metrics"' });
      }
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
