/**
 * IdP presets: where the issuer is, which scopes to ask for and which ID-token claim carries
 * groups. Admins still supply client id and secret; presets only fill in what is fixed.
 */
export const PRESETS = ['entra', 'okta', 'google', 'jumpcloud', 'generic'] as const;
export type Preset = (typeof PRESETS)[number];

export interface PresetInfo {
  name: string;
  /** How the issuer is found: fixed, from the IdP's directory (tenant) id, or given. */
  issuer: { kind: 'fixed'; url: string } | { kind: 'directory'; template: string } | { kind: 'given' };
  scopes: string;
  groupsClaim: string | null;
  notes: string;
}

export const PRESET_INFO: Record<Preset, PresetInfo> = {
  entra: {
    name: 'Microsoft Entra ID',
    issuer: { kind: 'directory', template: 'https://login.microsoftonline.com/{directory}/v2.0' },
    scopes: 'openid email profile',
    groupsClaim: 'groups',
    notes:
      'Give your directory (tenant) id; the multi-tenant "common", "organizations" and "consumers" are refused. Set "groupMembershipClaims" in the app manifest (group claims carry object ids, so map ids to roles) and add the optional claim xms_edov, without which an existing account cannot be linked by email.',
  },
  okta: {
    name: 'Okta',
    issuer: { kind: 'given' },
    scopes: 'openid email profile groups',
    groupsClaim: 'groups',
    notes: 'Issuer is the org (https://<org>.okta.com) or an authorization server (…/oauth2/default); add a "groups" claim filter.',
  },
  google: {
    name: 'Google Workspace',
    issuer: { kind: 'fixed', url: 'https://accounts.google.com' },
    scopes: 'openid email profile',
    groupsClaim: null,
    notes: 'Google ID tokens carry no groups; restrict sign-in with allowed_domains: the hd claim (Workspace domain) must be present and listed, and so must the email domain. Consumer accounts carry no hd and are refused then.',
  },
  jumpcloud: {
    name: 'JumpCloud',
    issuer: { kind: 'fixed', url: 'https://oauth.id.jumpcloud.com/' },
    scopes: 'openid email profile',
    groupsClaim: 'memberOf',
    notes: 'Enable the "Include group attribute" option in the JumpCloud OIDC app and name it memberOf.',
  },
  generic: {
    name: 'Generic OpenID Connect (discovery)',
    issuer: { kind: 'given' },
    scopes: 'openid email profile',
    groupsClaim: 'groups',
    notes: 'Any provider with /.well-known/openid-configuration.',
  },
};

/**
 * Microsoft's multi-tenant authorities: any Entra directory (or any personal Microsoft account)
 * can sign in through them, and their ID tokens' `iss` is per signing tenant, so a login
 * through one cannot be tied to the organisation's own directory.
 */
export const MULTI_TENANT_DIRECTORIES = ['common', 'organizations', 'consumers'] as const;

/**
 * True when an issuer URL (configured or discovered) admits many directories: Entra's
 * `common`/`organizations`/`consumers` authorities (any letter case, v1 or v2 paths) or an
 * issuer template carrying `{tenantid}`, as Entra's multi-tenant discovery documents do.
 */
export function isMultiTenantIssuer(issuer: string): boolean {
  if (/\{tenantid\}/i.test(issuer) || /%7Btenantid%7D/i.test(issuer)) return true;
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    return false;
  }
  const first = decodeURIComponent(u.pathname.split('/')[1] ?? '').toLowerCase();
  return (MULTI_TENANT_DIRECTORIES as readonly string[]).includes(first);
}

/** The issuer URL for a preset, or an error message. */
export function resolveIssuer(preset: Preset, o: { issuer?: string | undefined; directory?: string | undefined }): string | { error: string } {
  const p = PRESET_INFO[preset].issuer;
  if (p.kind === 'fixed') return o.issuer ?? p.url;
  if (p.kind === 'directory') {
    if (o.issuer) return o.issuer;
    if (!o.directory || !/^[A-Za-z0-9.-]{1,100}$/.test(o.directory)) return { error: `The ${PRESET_INFO[preset].name} preset needs the directory (tenant) id.` };
    return p.template.replace('{directory}', o.directory);
  }
  if (!o.issuer) return { error: `The ${PRESET_INFO[preset].name} preset needs the issuer URL.` };
  return o.issuer;
}
