import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { AppDeps } from './deps.js';
import { registerMetrics } from './http/metrics.js';
import { LazySchemas } from './http/lazy-schemas.js';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemBody, problemSchema } from './http/problem.js';
import { registerSecurityHeaders, setSecurityHeaders } from './http/security-headers.js';
import { findUnstorable, problemForDatabaseError } from './http/bad-input.js';
import { domainModules } from './modules.js';
import { registerSessionResolver } from './auth/hooks.js';
import { registerDeviceAuth } from './devices/verify.js';
import { recordAudit, type AuditEntry } from './platform/audit.js';
import { installGuard } from './platform/guard.js';
import { configureAuditPii } from './audit/pii.js';
import { JobRunner } from './platform/jobs.js';
import { defineOutboxJob, outboxFor } from './platform/outbox.js';
import { consumeSecurityAlerts } from './auth/security-alerts.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Background jobs of this app; main.ts starts them after listen. Closing the app stops them. */
    jobs: JobRunner;
  }
}

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
  /** Serve HTTPS with these (TLS 1.3 minimum). Absent: plain handler for app.inject() tests. */
  https?: { key: string; cert: string };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** How long after listening the remaining route schemas are compiled (ms). */
const SCHEMA_WARM_DELAY_MS = 3000;

/** Fastify's own 4xx errors, mapped to stable codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
};

/**
 * A problem body (RFC 9457) as every answer of this server carries it: `instance` is the request's
 * path without its query, `request_id` the id also sent as x-request-id.
 */
function problemFor<B extends object>(body: B, url: string | undefined, requestId: string): B & { instance: string; request_id: string } {
  return { ...body, instance: (url ?? '/').split('?')[0]!, request_id: requestId };
}

export async function buildApp(deps: AppDeps, o: BuildOptions = {}): Promise<FastifyInstance> {
  // Route validators and serializers are built on first use, the rest once the server listens
  // (lazy-schemas.ts): building all of them before listening was most of a start's work.
  const schemas = new LazySchemas();
  const app = Fastify({
    schemaController: schemas.schemaController(),
    logger: o.logger ?? false,
    ...(o.https ? { https: { key: o.https.key, cert: o.https.cert, minVersion: 'TLSv1.3' as const } } : {}),
    // Accept a caller's request id only when it is harmless to log; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // A path parameter that is not valid percent-encoding or longer than the router allows is
    // answered before any hook runs: without this, fastify writes its own JSON without the
    // security headers, request id or problem format every other answer has.
    frameworkErrors: (err, req, reply) => {
      setSecurityHeaders(req.raw, reply.raw);
      const detail = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment of this request is longer than the server accepts.' : 'A path segment of this request is not valid percent-encoding.';
      void (reply as unknown as FastifyReply)
        .code(400)
        .header('x-request-id', req.id)
        .header('cache-control', 'no-store')
        .type(PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(problemFor(problemBody(400, 'invalid_request', detail), req.raw.url, req.id)));
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }) as unknown as FastifyInstance;

  app.addSchema(problemSchema);
  // What no request has compiled yet is compiled a while after listening, in small steps, so
  // the first requests do not queue behind it and a schema error still shows in the log.
  let warm: NodeJS.Timeout | undefined;
  app.addHook('onListen', async () => {
    warm = setTimeout(() => void schemas.compileAll((err) => app.log.error({ err }, 'a route schema does not compile')), SCHEMA_WARM_DELAY_MS);
    warm.unref();
  });
  app.addHook('onClose', async () => clearTimeout(warm));
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  await registerSecurityHeaders(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Parapet API', version: '1', description: 'Pulse and Probe on one security core. Errors are RFC 9457 problem details with a stable `code`.' },
      components: {
        securitySchemes: {
          bootstrapToken: { type: 'http', scheme: 'bearer', description: 'Token from the data dir; creates organisations.' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  registerMetrics(app, deps.metricsToken);
  configureAuditPii(deps.keys);
  // Principal resolvers, asked in this order: a session cookie, then a device signature.
  await registerSessionResolver(app, deps);
  await registerDeviceAuth(app, deps);
  // The guard's denial entries are ordinary audit entries; their event names are catalogued.
  installGuard(app, { db: deps.db, now: deps.now, audit: (q, tenantId, actor, e) => recordAudit(q, tenantId, actor, e as AuditEntry) });
  // Strings PostgreSQL cannot store (NUL, lone surrogates) and absurd nesting are refused for
  // every route before schema validation, so no handler has to remember to.
  app.addHook('preValidation', async (req) => {
    for (const [where, v] of [['body', req.body], ['query', req.query], ['params', req.params]] as const) {
      const bad = findUnstorable(v, where);
      if (bad) throw bad;
    }
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemFor(problemBody(404, 'not_found', `No route for ${req.method} ${req.url.split('?')[0]}.`), req.url, req.id));
  });

  app.setErrorHandler((err: FastifyError | ProblemError, req, reply) => {
    let body;
    if (err instanceof ProblemError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      body = problemBody(err.status, err.code, err.detail, err.extensions);
    } else if ((err as FastifyError).validation) {
      body = problemBody(400, 'invalid_request', `Request ${(err as FastifyError).validationContext ?? ''} ${err.message.replace(/^(body|querystring|params|headers)\s*/, '')}`.replace(/\s+/g, ' ').trim(), {
        errors: (err as FastifyError).validation,
      });
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      const fe = err as FastifyError;
      const code = FASTIFY_CODES[fe.code] ?? (fe.statusCode === 400 && /JSON/i.test(fe.message) ? 'invalid_json' : `http_${fe.statusCode}`);
      body = problemBody(fe.statusCode!, code, fe.message);
    } else if (problemForDatabaseError(err)) {
      // Input the database refused (SQLSTATE classes 22 and 23): the client's problem, but a
      // sign that validation missed something, so it is logged.
      const pe = problemForDatabaseError(err)!;
      req.log.warn({ sqlstate: (err as { code?: string }).code, constraint: (err as { constraint?: string }).constraint }, 'database refused request input');
      body = problemBody(pe.status, pe.code, pe.detail, pe.extensions);
    } else {
      req.log.error({ err }, 'unhandled error');
      body = problemBody(500, 'internal_error', 'The server failed to handle this request; it has been logged with its request id.');
    }
    reply
      .code(body.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemFor(body, req.url, req.id));
  });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const jobs = deps.jobs ?? new JobRunner({ now: deps.now, registry: app.metrics, onError: (job, err) => app.log.error({ err, job }, 'background job failed') });
  app.decorate('jobs', jobs);
  app.addHook('onClose', () => jobs.stop());
  const outbox = outboxFor(deps.db);
  outbox.now = deps.now;
  outbox.onError = (err, m) => app.log.warn({ err, outbox_id: m.id, tenant_id: m.tenantId, topic: m.topic, attempts: m.attempts }, 'outbox delivery failed; it will be retried');
  defineOutboxJob(jobs, deps.db);
  if (deps.mailer) consumeSecurityAlerts(deps.db, deps.mailer);
  const withJobs: AppDeps = { ...deps, jobs };
  for (const mod of domainModules) {
    await app.register(async (child) => mod(child, withJobs));
  }
  return app;
}
