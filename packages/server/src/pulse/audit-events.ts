/** Audit events of Pulse (PULSE-UPLOAD, PULSE-ANALYTICS, PULSE-ACCESS). */
export const PULSE_EVENTS = [
  'pulse.batch.received',
  'pulse.batch.refused',
  'pulse.settings.updated',
  'pulse.policy.key_created',
  'pulse.activity.read',
  'pulse.export',
  'pulse.dp_budget.exhausted',
  'pulse.my_data.read',
  'pulse.retention.purged',
] as const;
