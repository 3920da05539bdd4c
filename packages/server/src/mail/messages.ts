/** The text of Parapet's mails (plain text: no tracking, nothing remote to load). */

const ROLE_NAMES: Record<string, string> = {
  admin: 'Admin', security_lead: 'Security lead', operator: 'Operator', auditor: 'Auditor', manager: 'Manager', employee: 'Employee',
};

/** An invitation: who invites, to which organisation, with which roles, the link and its expiry (ISO 8601, shown in UTC). */
export function invitationText(o: { org: string; slug: string; inviter: string; roles: string[]; expiresAt: string; link: string }): string {
  const roles = o.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'no role yet';
  const until = new Date(o.expiresAt).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const mfa = o.roles.some((r) => r === 'admin' || r === 'security_lead') ? '\nAs an admin or security lead you will also set up an authenticator app (two-step verification).\n' : '';
  return [
    `${o.inviter} invited you to ${o.org} on Parapet (organisation "${o.slug}") as: ${roles}.`,
    '',
    'Open this link to choose your password:',
    '',
    o.link,
    '',
    `The link works once, until ${until}.${mfa}`,
    'If you did not expect this invitation, ignore this message; nothing happens unless the link is opened.',
    '',
  ].join('\n');
}
