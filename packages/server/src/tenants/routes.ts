import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Database } from '@parapet/db';
import type { KeyProvider } from '@parapet/core';
import { ProblemError } from '../http/problem.js';
import { createOrganisation } from './service.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

/**
 * Bootstrap: creating an organisation needs the bootstrap token from the server's data dir,
 * so only someone with file access to the server can do it. `parapet init` uses this when
 * the embedded database is held by a running server.
 */
export async function bootstrapRoutes(parent: FastifyInstance, opts: { db: Database; keys?: KeyProvider; bootstrapToken?: string | undefined }): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = opts.bootstrapToken ? digest(opts.bootstrapToken) : undefined;
  app.post(
    '/api/v1/bootstrap/organisations',
    {
      schema: {
        tags: ['bootstrap'],
        summary: 'Create an organisation and its first admin (needs the bootstrap token).',
        security: [{ bootstrapToken: [] }],
        body: {
          type: 'object',
          required: ['name', 'admin_email', 'admin_password'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            slug: { type: 'string', minLength: 1, maxLength: 63 },
            admin_email: { type: 'string', minLength: 3, maxLength: 320 },
            admin_password: { type: 'string', minLength: 1, maxLength: 1024 },
            admin_name: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { tenant_id: { type: 'string' }, slug: { type: 'string' }, admin_id: { type: 'string' } },
            required: ['tenant_id', 'slug', 'admin_id'],
            additionalProperties: false,
          },
          '4xx': { $ref: 'Problem#' },
        },
      } as const,
    },
    async (req, reply) => {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!expected || !given || !timingSafeEqual(digest(given), expected)) {
        throw new ProblemError(401, 'bootstrap_token_invalid', 'A valid bootstrap token is required to create an organisation.');
      }
      const b = req.body;
      const r = await createOrganisation(opts.db, { name: b.name, slug: b.slug, adminEmail: b.admin_email, adminPassword: b.admin_password, adminName: b.admin_name }, opts.keys);
      reply.code(201);
      return { tenant_id: r.tenant.id, slug: r.tenant.slug, admin_id: r.adminId };
    },
  );
}
