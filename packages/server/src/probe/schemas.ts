/**
 * Response schemas shared by the Probe routes (JSON Schema, `as const` so the type provider
 * infers reply types from them).
 */
import { SCOPE_SCHEMA } from '@parapet/core';
import type { ReplyOf } from '../http/type-provider.js';
import { SCAN_STATES } from './service.js';

export const nullableString = { type: ['string', 'null'] } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;
export const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
/** A scan as service.ts's ScanView. */
export const scanView = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'state', 'scope', 'requested_by', 'targets', 'addresses', 'ports', 'probe_types', 'rate_pps', 'approvals_required', 'approvals', 'note', 'created_at', 'updated_at', 'expires_at', 'queued_at', 'leases'],
  properties: {
    id: { type: 'string' }, state: { type: 'string', enum: [...SCAN_STATES] },
    scope: { type: 'object', additionalProperties: false, required: ['id', 'scope_id', 'version', 'environment'], properties: { id: { type: 'string' }, scope_id: { type: 'string' }, version: { type: 'integer' }, environment: { type: 'string' } } },
    requested_by: { type: 'string' },
    targets: { type: 'array', items: { type: 'string' } }, addresses: { type: 'array', items: { type: 'string' } }, ports: { type: 'array', items: { type: 'integer' } },
    probe_types: { type: 'array', items: { type: 'string' } }, rate_pps: { type: 'integer' }, approvals_required: { type: 'integer' },
    approvals: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['user_id', 'email', 'decision', 'created_at'], properties: { user_id: { type: 'string' }, email: { type: 'string' }, decision: { type: 'string' }, created_at: { type: 'string' } } },
    },
    note: { type: 'string' },
    created_at: { type: 'string' }, updated_at: { type: 'string' }, expires_at: { type: 'string' }, queued_at: nullableString,
    // Every lease of the scan, oldest first: the worker device and the safety profile it reported (null when it reported none).
    leases: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['device_id', 'leased_at', 'ended_at', 'end_reason', 'safety_profile_version', 'safety_profile_sha256'],
        properties: { device_id: { type: 'string' }, leased_at: { type: 'string' }, ended_at: nullableString, end_reason: nullableString, safety_profile_version: { type: ['integer', 'null'] }, safety_profile_sha256: nullableString },
      },
    },
  },
} as const;
/** A DSSE envelope as stored (its signatures cover PAE(payloadType, payload) only). */
export const envelopeView = {
  type: 'object', additionalProperties: false, required: ['payload', 'payloadType', 'signatures'],
  properties: { payload: { type: 'string' }, payloadType: { type: 'string' }, signatures: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['sig'], properties: { keyid: { type: 'string' }, sig: { type: 'string' } } } } },
} as const;

export const keyView = {
  type: 'object', additionalProperties: false, required: ['id', 'name', 'key_id', 'user_id', 'owner_email', 'created_at', 'revoked_at'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, key_id: { type: 'string' }, user_id: { type: 'string' }, owner_email: { type: 'string' }, created_at: dateTime, revoked_at: nullableDateTime },
} as const;
/** The signed scope document as stored (PROBE-SCOPE), without the schema's `$id`. */
const { $id: _scopeSchemaId, ...scopeDocument } = SCOPE_SCHEMA;
const scopeProperties = {
  id: { type: 'string' }, scope_id: { type: 'string' }, version: { type: 'integer' }, name: { type: 'string' }, environment: { type: 'string' }, document: scopeDocument,
  signing_key: { type: 'string' }, uploaded_by: { type: 'string' }, uploaded_at: dateTime, valid_from: dateTime, valid_until: dateTime, revoked_at: nullableDateTime, revoke_reason: nullableString,
} as const;
const scopeRequired = ['id', 'scope_id', 'version', 'name', 'environment', 'document', 'signing_key', 'uploaded_by', 'uploaded_at', 'valid_from', 'valid_until', 'revoked_at', 'revoke_reason'] as const;
export const scopeView = { type: 'object', additionalProperties: false, required: scopeRequired, properties: scopeProperties } as const;
export const approverGroupView = {
  type: 'object', additionalProperties: false, required: ['user_id', 'email', 'group_name', 'updated_at'],
  properties: { user_id: { type: 'string' }, email: { type: 'string' }, group_name: { type: 'string' }, updated_at: dateTime },
} as const;

/** One scope with the DSSE envelope it was uploaded in. */
export const scopeDetail = { type: 'object', additionalProperties: false, required: [...scopeRequired, 'envelope'], properties: { ...scopeProperties, envelope: envelopeView } } as const;

export type KeyView = ReplyOf<typeof keyView>;
export type ScopeView = ReplyOf<typeof scopeView>;
export type ScopeDetail = ReplyOf<typeof scopeDetail>;
export type ApproverGroupView = ReplyOf<typeof approverGroupView>;

/**
 * What a probe observed (TLS, certificate, HTTP headers, banner facts, by probe type), as the
 * worker reported it under the request schema's `observed: { type: 'object' }`: free-form.
 */
const observed = { title: 'Probe observation', type: 'object', additionalProperties: true } as const;
/** One probe result (runs.ts ResultView). */
export const probeResult = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'target', 'address', 'port', 'probe_type', 'outcome', 'reason', 'started_at', 'duration_ms', 'observed', 'device_id', 'evidence_id', 'evidence_sha256', 'received_at'],
  properties: {
    id: { type: 'string' }, target: { type: 'string' }, address: { type: 'string' }, port: { type: 'integer' }, probe_type: { type: 'string' }, outcome: { type: 'string' }, reason: { type: 'string' },
    started_at: { type: 'string' }, duration_ms: { type: 'number' }, observed, device_id: { type: 'string' }, evidence_id: nullableString, evidence_sha256: nullableString, received_at: { type: 'string' },
  },
} as const;
/** runs.ts JobLease: the job a worker leased, with what it needs to verify the scope itself. */
export const jobLease = {
  type: 'object',
  additionalProperties: false,
  required: ['lease_id', 'lease_expires_at', 'scan', 'envelope', 'signing_keys', 'done'],
  properties: {
    lease_id: { type: 'string' }, lease_expires_at: { type: 'string' }, scan: scanView, envelope: envelopeView,
    signing_keys: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['key_id', 'public_key_pem'], properties: { key_id: { type: 'string' }, public_key_pem: { type: 'string' } } } },
    done: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['address', 'port', 'probe_type', 'outcome'], properties: { address: { type: 'string' }, port: { type: 'integer' }, probe_type: { type: 'string' }, outcome: { type: 'string' } } },
    },
  },
} as const;
/** A finding with its latest observation's evidence and how many scans saw it. */
export const probeFinding = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'scope_id', 'kind', 'severity', 'address', 'port', 'title', 'detail', 'status', 'first_seen_at', 'last_seen_at', 'resolved_at', 'first_scan_id', 'last_scan_id', 'resolved_scan_id', 'last_result_id', 'evidence_id', 'evidence_sha256', 'times_seen'],
  properties: {
    id: { type: 'string' }, scope_id: { type: 'string' }, kind: { type: 'string' }, severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] }, address: { type: 'string' }, port: { type: 'integer' },
    title: { type: 'string' },
    // The facts behind the finding, by kind (certificate dates, TLS version, header names...).
    detail: { title: 'Finding detail', type: 'object', additionalProperties: true },
    status: { type: 'string', enum: ['open', 'resolved'] }, first_seen_at: dateTime, last_seen_at: dateTime, resolved_at: nullableDateTime,
    first_scan_id: { type: 'string' }, last_scan_id: { type: 'string' }, resolved_scan_id: nullableString, last_result_id: { type: 'string' }, evidence_id: nullableString, evidence_sha256: nullableString, times_seen: { type: 'integer' },
  },
} as const;

/** One decrypted evidence object: the raw transcript as the worker recorded it (free-form). */
export const evidenceObject = {
  type: 'object',
  additionalProperties: false,
  required: ['sha256', 'object_key', 'transcript'],
  properties: { sha256: { type: 'string' }, object_key: { type: 'string' }, transcript: { title: 'Probe transcript', type: 'object', additionalProperties: true } },
} as const;


export type ProbeResultView = ReplyOf<typeof probeResult>;
export type JobLeaseView = ReplyOf<typeof jobLease>;
export type ProbeFindingView = ReplyOf<typeof probeFinding>;
