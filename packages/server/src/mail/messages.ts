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

/** The account events a security alert is mailed for (auth/security-alerts.ts). */
export type SecurityAlertKind = 'mfa_added' | 'mfa_removed' | 'recovery_codes_issued' | 'roles_changed' | 'sign_in_delayed' | 'account_unlocked' | 'new_sign_in_address';

const roleList = (v: unknown) => (Array.isArray(v) && v.length ? v.map((r) => ROLE_NAMES[String(r)] ?? String(r)).join(', ') : 'none');
const METHOD_NAMES: Record<string, string> = { totp: 'an authenticator app', webauthn: 'a security key or passkey' };

/**
 * A security alert to the person whose account it concerns: subject and plain text. `at` is
 * ISO 8601 (shown in UTC); `ip` the client address, `by` who acted when it was not the person.
 */
export function securityAlertText(a: { kind: SecurityAlertKind; org: string; slug: string; email: string; at: string; ip?: string | undefined; by?: string | undefined; details?: Record<string, unknown> | undefined }): { subject: string; text: string } {
  const d = a.details ?? {};
  const method = METHOD_NAMES[String(d.method)] ?? 'a second factor';
  const what: Record<SecurityAlertKind, [string, string]> = {
    mfa_added: ['A second factor was added to your account', `${method} was added as a second factor for signing in.`],
    mfa_removed: ['A second factor was removed from your account', `${method} was removed from the second factors of your account.`],
    recovery_codes_issued: ['New recovery codes were issued for your account', 'New recovery codes were issued; the old ones no longer work.'],
    roles_changed: ['Your roles changed', `Your roles changed from ${roleList(d.from)} to ${roleList(d.to)}. You were signed out everywhere; sign in again to use the new roles.`],
    sign_in_delayed: [
      'Failed sign-ins on your account',
      d.stage === 'mfa'
        ? 'Several wrong second-factor codes were entered after a correct password for your account, so further attempts are delayed. If that was not you, your password is known to someone else: ask an admin to help you change it.'
        : 'Several sign-ins to your account failed with a wrong password, so further attempts from that address are delayed.',
    ],
    account_unlocked: ['Your account was unlocked', 'The sign-in delays after failed attempts on your account were cleared.'],
    new_sign_in_address: ['New sign-in to your account', 'Your account signed in from an address it has not used in the last 30 days.'],
  };
  const [subject, line] = what[a.kind];
  const when = new Date(a.at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return {
    subject: `${subject} on Parapet (${a.slug})`,
    text: [
      `This is about your account ${a.email} in ${a.org} on Parapet (organisation "${a.slug}").`,
      '',
      line,
      '',
      `When: ${when}`,
      ...(a.ip ? [`From address: ${a.ip}`] : []),
      ...(a.by ? [`By: ${a.by}`] : []),
      '',
      'If this was you or expected, there is nothing to do. If not, tell your Parapet admin at once.',
      'This message is sent for every security change on your account; it holds no link to follow.',
      '',
    ].join('\n'),
  };
}
