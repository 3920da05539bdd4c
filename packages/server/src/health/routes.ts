import type { FastifyInstance } from 'fastify';
import type { Database } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

export async function healthRoutes(parent: FastifyInstance, opts: { db: Database }): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const ok = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'], additionalProperties: false } as const;
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness: the process answers.', response: { 200: ok, '4xx': { $ref: 'Problem#' } } } as const }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers and every migration is applied.',
        response: { 200: { ...ok, properties: { ...ok.properties, engine: { type: 'string' } }, required: ['status', 'engine'] }, '4xx': { $ref: 'Problem#' }, 503: { $ref: 'Problem#' } },
      } as const,
    },
    async () => {
      try {
        await opts.db.ping();
      } catch (e) {
        throw new ProblemError(503, 'database_unreachable', `The database is unreachable: ${(e as Error).message}`);
      }
      const pending = await opts.db.pendingMigrations();
      if (pending.length) {
        throw new ProblemError(503, 'migrations_pending', `The database lacks ${pending.length} migration(s); run "parapet db migrate".`, { pending });
      }
      return { status: 'ready', engine: opts.db.engine };
    },
  );
}
