/**
 * The API's Fastify type provider: request (`req.body`, `req.params`, `req.query`) and reply
 * types are inferred from the routes' own JSON schemas (written `as const`) by
 * json-schema-to-ts, so no shape is written twice. `{ $ref: 'Problem#' }` resolves to the shared
 * problem-details schema, and a `format: 'date-time'` string in a response may be a `Date`
 * (Fastify's serializer writes it as RFC 3339).
 *
 * A route module uses it with `const app = parent.withTypeProvider<ApiTypeProvider>()`; a
 * service returning what a route answers types its rows with `ReplyOf<typeof schema>`.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { problemSchema } from './problem.js';

type ValidatorOptions = { references: [typeof problemSchema] };
type SerializerOptions = {
  references: [typeof problemSchema];
  deserialize: [{ pattern: { type: 'string'; format: 'date-time' }; output: Date | string }];
};

export type ApiTypeProvider = JsonSchemaToTsProvider<{ ValidatorSchemaOptions: ValidatorOptions; SerializerSchemaOptions: SerializerOptions }>;

/** The value a response schema `S` accepts (what a handler may return for it). */
export type ReplyOf<S extends JSONSchema> = FromSchema<S, SerializerOptions>;
