/** SCIM schema URNs and the discovery documents (RFC 7643 §5-7, RFC 7644 §4). */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';
import type { ScimAttributeDefinition } from './response-schemas.js';

export const MAX_RESULTS = 1000;
export const DEFAULT_COUNT = 100;

type Attr = {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime' | 'integer' | 'decimal';
  multiValued?: boolean;
  required?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  uniqueness?: 'none' | 'server';
  caseExact?: boolean;
  subAttributes?: Attr[];
  referenceTypes?: string[];
};

function attr({ subAttributes, ...a }: Attr): ScimAttributeDefinition {
  return {
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...a,
    ...(subAttributes ? { subAttributes: subAttributes.map(attr) } : {}),
  };
}

const multi = (name: string, extra: Attr[] = []): Attr => ({
  name,
  type: 'complex',
  multiValued: true,
  subAttributes: [{ name: 'value', type: 'string' }, { name: 'display', type: 'string' }, { name: 'type', type: 'string' }, { name: 'primary', type: 'boolean' }, ...extra],
});

export function schemasDocument(base: string) {
  const meta = (id: string) => ({ resourceType: 'Schema', location: `${base}/Schemas/${id}` });
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: USER_SCHEMA,
      name: 'User',
      description: 'User account',
      attributes: [
        { name: 'userName', type: 'string', required: true, uniqueness: 'server' },
        { name: 'externalId', type: 'string', caseExact: true },
        { name: 'name', type: 'complex', subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => ({ name: n, type: 'string' as const })) },
        { name: 'displayName', type: 'string' },
        { name: 'nickName', type: 'string' },
        { name: 'title', type: 'string' },
        { name: 'userType', type: 'string' },
        { name: 'preferredLanguage', type: 'string' },
        { name: 'locale', type: 'string' },
        { name: 'timezone', type: 'string' },
        { name: 'active', type: 'boolean' },
        multi('emails'),
        multi('phoneNumbers'),
        { name: 'groups', type: 'complex', multiValued: true, mutability: 'readOnly', subAttributes: [{ name: 'value', type: 'string', mutability: 'readOnly' }, { name: 'display', type: 'string', mutability: 'readOnly' }] },
      ].map((a) => attr(a as Attr)),
      meta: meta(USER_SCHEMA),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: GROUP_SCHEMA,
      name: 'Group',
      description: 'Group',
      attributes: [
        { name: 'displayName', type: 'string', required: true },
        { name: 'externalId', type: 'string', caseExact: true },
        { name: 'members', type: 'complex', multiValued: true, subAttributes: [{ name: 'value', type: 'string', mutability: 'immutable' }, { name: 'display', type: 'string', mutability: 'readOnly' }, { name: '$ref', type: 'reference', referenceTypes: ['User'], mutability: 'immutable' }] },
      ].map((a) => attr(a as Attr)),
      meta: meta(GROUP_SCHEMA),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: ENTERPRISE_SCHEMA,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: [
        { name: 'employeeNumber', type: 'string' },
        { name: 'department', type: 'string' },
        { name: 'costCenter', type: 'string' },
        { name: 'organization', type: 'string' },
        { name: 'division', type: 'string' },
        { name: 'manager', type: 'complex', subAttributes: [{ name: 'value', type: 'string' }, { name: '$ref', type: 'reference', referenceTypes: ['User'] }, { name: 'displayName', type: 'string', mutability: 'readOnly' }] },
      ].map((a) => attr(a as Attr)),
      meta: meta(ENTERPRISE_SCHEMA),
    },
  ];
}

export function resourceTypesDocument(base: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

export function serviceProviderConfig(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://parapet.dev/docs/sso-scim',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'Per-tenant token `pscim_<tenant id>_<secret>` created by a tenant admin.', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

/** Characteristics of one attribute or sub-attribute (RFC 7643 §2.2), defaults applied. */
export interface AttrTraits {
  name: string;
  type: Attr['type'];
  multiValued: boolean;
  caseExact: boolean;
  mutability: NonNullable<Attr['mutability']>;
  subAttributes?: AttrTraits[];
}

/**
 * The common attributes every resource has (RFC 7643 §3.1), which the schema documents do not
 * list: `id` and `meta` are read-only; `id`, `externalId`, `meta.resourceType`,
 * `meta.location` and `meta.version` compare case-exactly; `meta.created` and
 * `meta.lastModified` are dateTimes. `schemas` is read-only to PATCH here.
 */
const COMMON: Attr[] = [
  { name: 'id', type: 'string', caseExact: true, mutability: 'readOnly', uniqueness: 'server' },
  { name: 'externalId', type: 'string', caseExact: true },
  { name: 'schemas', type: 'reference', multiValued: true, caseExact: true, mutability: 'readOnly' },
  {
    name: 'meta',
    type: 'complex',
    mutability: 'readOnly',
    subAttributes: [
      { name: 'resourceType', type: 'string', caseExact: true, mutability: 'readOnly' },
      { name: 'created', type: 'dateTime', mutability: 'readOnly' },
      { name: 'lastModified', type: 'dateTime', mutability: 'readOnly' },
      { name: 'location', type: 'reference', caseExact: true, mutability: 'readOnly' },
      { name: 'version', type: 'string', caseExact: true, mutability: 'readOnly' },
    ],
  },
];

let traitIndex: Map<string, AttrTraits[]> | undefined;

/**
 * The traits of attribute `name` (and sub-attribute `sub`) in schema `urn`, from the same schema documents the
 * /Schemas endpoint serves (plus the common attributes for the core schemas); undefined for
 * an attribute the schemas do not define. Names compare case-insensitively (RFC 7643 §2.1).
 */
export function attributeTraits(urn: string, name: string, sub?: string): AttrTraits | undefined {
  if (!traitIndex) {
    traitIndex = new Map();
    for (const d of schemasDocument('')) {
      const attrs = d.attributes as unknown as AttrTraits[];
      traitIndex.set(d.id.toLowerCase(), d.id === ENTERPRISE_SCHEMA ? attrs : [...(COMMON.map(attr) as unknown as AttrTraits[]), ...attrs]);
    }
  }
  const list = traitIndex.get(urn.toLowerCase());
  const a = list?.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!a || sub === undefined) return a;
  return a.subAttributes?.find((x) => x.name.toLowerCase() === sub.toLowerCase());
}

/** The core schema URN of a resource (its first `schemas` entry), User when absent. */
export function coreSchemaOf(resource: unknown): string {
  const sch = resource && typeof resource === 'object' ? (resource as { schemas?: unknown }).schemas : undefined;
  return Array.isArray(sch) && typeof sch[0] === 'string' ? sch[0] : USER_SCHEMA;
}
