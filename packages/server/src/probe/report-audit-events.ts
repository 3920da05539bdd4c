/** Audit events of Probe reports, evidence export and SIEM webhooks (issue 14). */
export const PROBE_REPORT_EVENTS = [
  'probe.report.generated',
  'probe.report.downloaded',
  'probe.report.pdf_moved',
  'probe.evidence.export_requested',
  'probe.evidence.export_approved',
  'probe.evidence.url_issued',
  'probe.evidence.downloaded',
  'webhook.endpoint.created',
  'webhook.endpoint.updated',
  'webhook.endpoint.deleted',
  'webhook.endpoint.disabled',
  'webhook.message.replayed',
  'webhook.test_sent',
] as const;
