/** Audit events of the people domain: invitations and locally managed roles. */
export const PEOPLE_EVENTS = [
  'people.invitation_created',
  'people.invitation_emailed',
  'people.invitation_revoked',
  'people.invitation_accepted',
  'people.roles_changed',
] as const;
