/**
 * The API's Fastify type provider: request (`req.body`, `req.params`, `req.query`) and reply
 * types are inferred from the routes' own JSON schemas (written `as const`) by
 * json-schema-to-ts, so no shape is written twice. `{ $ref: 'Problem#' }` resolves to the shared
 * problem-details schema, and a `format: 'date-time'` string in a response may be a `Date`
 * (Fastify's serializer writes it as RFC 3339).
 *
 * A WebAuthn credential in a request body (`webauthnRegistration`, `webauthnAssertion`) is an
 * object the schema leaves open and @simplewebauthn/server checks member by member when it
 * verifies it (a malformed one is a `webauthn_invalid` answer, not a validation error); its
 * type is the library's RegistrationResponseJSON / AuthenticationResponseJSON.
 *
 * A route module uses it with `const app = parent.withTypeProvider<ApiTypeProvider>()`; a
 * service returning what a route answers types its rows with `ReplyOf<typeof schema>`.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { problemSchema } from './problem.js';

/** A WebAuthn registration (navigator.credentials.create) in a request body, verified by @simplewebauthn/server. */
export const webauthnRegistration = { title: 'WebAuthn RegistrationResponseJSON', type: 'object', additionalProperties: true } as const;
/** A WebAuthn assertion (navigator.credentials.get) in a request body, verified by @simplewebauthn/server. */
export const webauthnAssertion = { title: 'WebAuthn AuthenticationResponseJSON', type: 'object', additionalProperties: true } as const;

type ValidatorOptions = {
  references: [typeof problemSchema];
  deserialize: [{ pattern: { title: typeof webauthnRegistration.title }; output: RegistrationResponseJSON }, { pattern: { title: typeof webauthnAssertion.title }; output: AuthenticationResponseJSON }];
};
type SerializerOptions = {
  references: [typeof problemSchema];
  deserialize: [
    { pattern: { type: 'string'; format: 'date-time' }; output: Date | string },
    // WebAuthn ceremony options, answered as @simplewebauthn/server makes them (auth/webauthn.ts describes them).
    { pattern: { title: 'WebAuthn PublicKeyCredentialCreationOptionsJSON' }; output: PublicKeyCredentialCreationOptionsJSON },
    { pattern: { title: 'WebAuthn PublicKeyCredentialRequestOptionsJSON' }; output: PublicKeyCredentialRequestOptionsJSON },
  ];
};

export type ApiTypeProvider = JsonSchemaToTsProvider<{ ValidatorSchemaOptions: ValidatorOptions; SerializerSchemaOptions: SerializerOptions }>;

/** The value a response schema `S` accepts (what a handler may return for it). */
export type ReplyOf<S extends JSONSchema> = FromSchema<S, SerializerOptions>;
