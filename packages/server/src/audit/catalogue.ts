/**
 * The one catalogue of audit event names. Each domain declares its own events in its folder
 * (`<domain>/audit-events.ts`, an `as const` array of names) and is listed here, so the type
 * of `AuditEntry.action` is the union of them all and a typo does not compile.
 */
import { CORE_EVENTS } from './core-events.js';
import { AUDIT_EVENTS } from './audit-events.js';
import { AUTH_EVENTS } from '../auth/audit-events.js';
import { SCIM_EVENTS } from '../scim/audit-events.js';
import { SSO_EVENTS } from '../sso/audit-events.js';
import { DEVICE_EVENTS } from '../devices/audit-events.js';
import { PROBE_EVENTS } from '../probe/audit-events.js';
import { PEOPLE_EVENTS } from '../people/audit-events.js';
import { GOVERNANCE_EVENTS } from '../governance/audit-events.js';
import { PROBE_REPORT_EVENTS } from '../probe/report-audit-events.js';
import { PULSE_EVENTS } from '../pulse/audit-events.js';
import { POSTURE_EVENTS } from '../posture/audit-events.js';

export const AUDIT_ACTIONS = [...CORE_EVENTS, ...AUDIT_EVENTS, ...AUTH_EVENTS, ...SCIM_EVENTS, ...SSO_EVENTS, ...DEVICE_EVENTS, ...PROBE_EVENTS, ...PEOPLE_EVENTS, ...GOVERNANCE_EVENTS, ...PROBE_REPORT_EVENTS, ...PULSE_EVENTS, ...POSTURE_EVENTS] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
