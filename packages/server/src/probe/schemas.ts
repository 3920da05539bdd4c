/**
 * Response schemas shared by the Probe routes (JSON Schema, `as const` so the type provider
 * infers reply types from them).
 */
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
