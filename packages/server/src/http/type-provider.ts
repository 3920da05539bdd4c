/**
 * The API's Fastify type provider: request (`req.body`, `req.params`, `req.query`) and reply
 * types are inferred from the routes' own JSON schemas (written `as const`) by
 * json-schema-to-ts, so no shape is written twice. `{ $ref: 'Problem#' }` resolves to the shared
 * problem-details schema, and a `format: 'date-time'` string in a response may be returned as
 * a `Date` (Fastify's serializer writes it as RFC 3339).
 *
 * A route module uses it with `const app = parent.withTypeProvider<ApiTypeProvider>()`.
 */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { problemSchema } from './problem.js';

export type ApiTypeProvider = JsonSchemaToTsProvider<{
  ValidatorSchemaOptions: { references: [typeof problemSchema] };
  SerializerSchemaOptions: {
    references: [typeof problemSchema];
    deserialize: [{ pattern: { type: 'string'; format: 'date-time' }; output: Date | string }];
  };
}>;

/** A Fastify instance whose routes infer their types from their schemas. */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ApiTypeProvider>;
