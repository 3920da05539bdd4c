/**
 * Response schemas of the SCIM 2.0 service provider (RFC 7643, RFC 7644): discovery documents,
 * resources, list responses and errors (`as const`, so the type provider infers from them).
 */
import type { ReplyOf } from '../http/type-provider.js';
import { ENTERPRISE_SCHEMA } from './schema.js';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const strings = { type: 'array', items: str } as const;
const supported = { type: 'object', additionalProperties: false, required: ['supported'], properties: { supported: bool } } as const;
/**
 * Members named `$ref` (RFC 7643 §2.3.7 references) cannot be listed under `properties`: the
 * OpenAPI reference resolver would take them for schema references. They are typed as the
 * string-valued rest of the object instead.
 */
const refRest = { type: 'string' } as const;
const meta = {
  type: 'object',
  additionalProperties: false,
  required: ['resourceType', 'location'],
  properties: { resourceType: str, created: str, lastModified: str, location: str, version: str },
} as const;

/** RFC 7644 §3.12 error: `status` is the HTTP status as a string. */
export const scimError = {
  title: 'SCIM error (RFC 7644 §3.12)',
  type: 'object',
  additionalProperties: false,
  required: ['schemas', 'status', 'detail'],
  properties: { schemas: strings, status: str, scimType: str, detail: str },
} as const;

const attributeTraits = {
  name: str, type: str, multiValued: bool, required: bool, caseExact: bool, mutability: str, returned: str, uniqueness: str, referenceTypes: strings,
} as const;
const traitsRequired = ['name', 'type', 'multiValued', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness'] as const;
/** RFC 7643 §7 attribute definition, one level of sub-attributes (the most any schema here has). */
const attributeDefinition = {
  type: 'object',
  additionalProperties: false,
  required: traitsRequired,
  properties: { ...attributeTraits, subAttributes: { type: 'array', items: { type: 'object', additionalProperties: false, required: traitsRequired, properties: attributeTraits } } },
} as const;
/** RFC 7643 §7 schema resource. */
export const scimSchemaResource = {
  type: 'object',
  additionalProperties: false,
  required: ['schemas', 'id', 'name', 'description', 'attributes', 'meta'],
  properties: { schemas: strings, id: str, name: str, description: str, attributes: { type: 'array', items: attributeDefinition }, meta },
} as const;
/** RFC 7643 §6 resource type. */
export const scimResourceType = {
  type: 'object',
  additionalProperties: false,
  required: ['schemas', 'id', 'name', 'endpoint', 'schema', 'meta'],
  properties: {
    schemas: strings, id: str, name: str, endpoint: str, schema: str,
    schemaExtensions: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['schema', 'required'], properties: { schema: str, required: bool } } },
    meta,
  },
} as const;
/** RFC 7643 §5 service provider configuration. */
export const scimServiceProviderConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['schemas', 'documentationUri', 'patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag', 'authenticationSchemes', 'meta'],
  properties: {
    schemas: strings, documentationUri: str, patch: supported,
    bulk: { type: 'object', additionalProperties: false, required: ['supported', 'maxOperations', 'maxPayloadSize'], properties: { supported: bool, maxOperations: { type: 'integer' }, maxPayloadSize: { type: 'integer' } } },
    filter: { type: 'object', additionalProperties: false, required: ['supported', 'maxResults'], properties: { supported: bool, maxResults: { type: 'integer' } } },
    changePassword: supported, sort: supported, etag: supported,
    authenticationSchemes: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['type', 'name', 'description'], properties: { type: str, name: str, description: str, primary: bool } } },
    meta,
  },
} as const;

const multiValued = { type: 'array', items: { type: 'object', additionalProperties: true, properties: { value: str, display: str, type: str, primary: bool } } } as const;
/**
 * RFC 7643 §4.1 User with the enterprise extension. A resource also carries the attributes the
 * identity provider stored under other schema URNs, and `attributes`/`excludedAttributes`
 * projection leaves out any but id, schemas and meta: open by design.
 */
export const scimUser = {
  title: 'SCIM User',
  type: 'object',
  additionalProperties: true,
  required: ['schemas', 'id', 'meta'],
  properties: {
    schemas: strings, id: str, externalId: str, userName: str,
    name: { type: 'object', additionalProperties: true, properties: { formatted: str, familyName: str, givenName: str, middleName: str, honorificPrefix: str, honorificSuffix: str } },
    displayName: str, nickName: str, title: str, userType: str, preferredLanguage: str, locale: str, timezone: str, active: bool,
    emails: multiValued, phoneNumbers: multiValued,
    groups: { type: 'array', items: { type: 'object', additionalProperties: refRest, required: ['value'], properties: { value: str, display: str } } },
    [ENTERPRISE_SCHEMA]: {
      type: 'object',
      additionalProperties: true,
      properties: {
        employeeNumber: str, department: str, costCenter: str, organization: str, division: str,
        manager: { type: 'object', additionalProperties: refRest, required: ['value'], properties: { value: str, displayName: str } },
      },
    },
    meta,
  },
} as const;
/** RFC 7643 §4.2 Group; projection may leave out any but id, schemas and meta. */
export const scimGroup = {
  type: 'object',
  additionalProperties: false,
  required: ['schemas', 'id', 'meta'],
  properties: {
    schemas: strings, id: str, externalId: str, displayName: str,
    members: { type: 'array', items: { type: 'object', additionalProperties: refRest, required: ['value'], properties: { value: str, display: str, type: str } } },
    meta,
  },
} as const;

/** An attribute of a schema resource (scim/schema.ts). */
export type ScimAttributeDefinition = ReplyOf<typeof attributeDefinition>;
/** A User as the service provider renders it (scim/service.ts). */
export type ScimUser = ReplyOf<typeof scimUser>;
/** A Group as the service provider renders it (scim/service.ts). */
export type ScimGroup = ReplyOf<typeof scimGroup>;

/** RFC 7644 §3.4.2 list response of `resource`. */
export function scimList<R extends object>(resource: R) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'],
    // startIndex echoes the request's, which Ajv's coercion lets through as Infinity for
    // "1e400"; as a number it is written null then, as JSON.stringify would, not refused.
    properties: { schemas: strings, totalResults: { type: 'integer' }, startIndex: { type: 'number' }, itemsPerPage: { type: 'integer' }, Resources: { type: 'array', items: resource } },
  } as const;
}
