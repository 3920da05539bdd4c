/** Events of the audit domain itself. */
export const AUDIT_EVENTS = ['audit.exported', 'audit.settings_changed'] as const;
