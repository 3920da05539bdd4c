import { useState, type FormEvent } from 'react';
import { api, ApiError, describe, ok, PROBLEM, type RequestBody, type ResponseBody } from '../api';
import { formatTime, useAsync } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { ConfirmDialog } from '../components/Dialog';
import { ErrorState, Loading, Notice } from '../components/States';
import { roleName } from '../components/Shell';

const ROLES = ['admin', 'security_lead', 'operator', 'manager', 'employee', 'auditor'] as const;
type Role = (typeof ROLES)[number];

/** GET /api/v1/sso/presets declares a free-form answer, so a preset's shape is kept here. */
interface Preset {
  id: string;
  name: string;
  scopes: string;
  groups_claim: string | null;
  issuer: { kind: 'fixed'; url: string } | { kind: 'directory'; template: string } | { kind: 'given' };
  notes: string;
}

type SsoConfig = ResponseBody<'/api/v1/sso/config', 'get'>;
type SsoConfigBody = RequestBody<'/api/v1/sso/config', 'put'>;

interface Draft {
  preset: string;
  issuer: string;
  directory: string;
  client_id: string;
  client_secret: string;
  scopes: string;
  groups_claim: string;
  mappings: { key: number; group: string; role: Role }[];
  default_roles: Role[];
  allowed_domains: string;
  jit_provisioning: boolean;
  enabled: boolean;
}

let nextKey = 1;

/** The directory id inside an issuer made from a template ("…/{directory}/v2.0"). */
function directoryOf(template: string, issuer: string): string {
  const [pre, post] = template.split('{directory}') as [string, string];
  return issuer.startsWith(pre) && issuer.endsWith(post) ? issuer.slice(pre.length, issuer.length - post.length) : '';
}

function draftOf(c: SsoConfig | null, presets: Preset[]): Draft {
  const preset = presets.find((p) => p.id === (c?.preset ?? 'generic')) ?? presets[0]!;
  return {
    preset: preset.id,
    issuer: c?.issuer ?? (preset.issuer.kind === 'fixed' ? preset.issuer.url : ''),
    directory: c && preset.issuer.kind === 'directory' ? directoryOf(preset.issuer.template, c.issuer) : '',
    client_id: c?.client_id ?? '',
    client_secret: '',
    scopes: c?.scopes ?? preset.scopes,
    groups_claim: c ? (c.groups_claim ?? '') : (preset.groups_claim ?? ''),
    // Sorted by group: stored JSON objects do not keep the order they were typed in.
    mappings: c ? Object.entries(c.group_roles).sort(([a], [b]) => a.localeCompare(b)).flatMap(([group, roles]) => roles.map((role) => ({ key: nextKey++, group, role: role as Role }))) : [],
    default_roles: (c?.default_roles as Role[] | undefined) ?? ['employee'],
    allowed_domains: c?.allowed_domains.join(', ') ?? '',
    jit_provisioning: c?.jit_provisioning ?? true,
    enabled: c?.enabled ?? true,
  };
}

export function SsoPage() {
  const [state, reload] = useAsync(async (signal) => {
    const { presets } = (await ok(api.GET('/api/v1/sso/presets', { signal }))) as { presets: Preset[] };
    const config = await ok(api.GET('/api/v1/sso/config', { signal })).catch((e: unknown) => {
      if (e instanceof ApiError && e.code === PROBLEM.sso_not_configured) return null;
      throw e;
    });
    return { presets, config };
  }, []);
  // What the last save or removal answered (replaces the loaded config without a reload) and its message.
  const [changed, setChanged] = useState<{ config: SsoConfig | null; text: string } | null>(null);
  if (state.status === 'loading') return <Loading label="Loading single sign-on settings…" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  const config = changed ? changed.config : state.data.config;
  return (
    <SsoForm
      key={config?.updated_at ?? 'new'}
      presets={state.data.presets}
      config={config}
      flash={changed?.text ?? null}
      onChanged={(c, text) => setChanged({ config: c, text })}
    />
  );
}

function SsoForm({ presets, config, flash, onChanged }: { presets: Preset[]; config: SsoConfig | null; flash: string | null; onChanged: (c: SsoConfig | null, message: string) => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(config, presets));
  const { busy, message: msg, run } = useSubmit(describe, flash ? { kind: 'success', text: flash } : null);
  const [removing, setRemoving] = useState(false);
  const preset = presets.find((p) => p.id === d.preset) ?? presets[0]!;
  const redirectUri = config?.redirect_uri ?? `${location.origin}/api/v1/sso/callback`;
  const set = (patch: Partial<Draft>) => setD((x) => ({ ...x, ...patch }));

  const pickPreset = (id: string) => {
    const p = presets.find((x) => x.id === id)!;
    // A new preset brings its own issuer rule, scopes and groups claim; the client stays.
    set({ preset: id, issuer: p.issuer.kind === 'fixed' ? p.issuer.url : '', directory: '', scopes: p.scopes, groups_claim: p.groups_claim ?? '' });
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    // On success the page shows the saved configuration in a new form (keyed by its time).
    void run(async () => {
      const groupRoles: Record<string, Role[]> = {};
      for (const m of d.mappings) {
        const g = m.group.trim();
        if (!g) continue;
        groupRoles[g] = [...new Set([...(groupRoles[g] ?? []), m.role])];
      }
      const body: SsoConfigBody = {
        preset: d.preset as SsoConfigBody['preset'],
        client_id: d.client_id.trim(),
        scopes: d.scopes.trim().replace(/\s+/g, ' '),
        groups_claim: d.groups_claim.trim() || null,
        group_roles: groupRoles,
        default_roles: d.default_roles,
        allowed_domains: d.allowed_domains.split(/[\s,]+/).map((x) => x.trim().toLowerCase()).filter(Boolean),
        jit_provisioning: d.jit_provisioning,
        enabled: d.enabled,
      };
      if (preset.issuer.kind === 'directory') body.directory = d.directory.trim();
      else if (preset.issuer.kind === 'given') body.issuer = d.issuer.trim();
      // Write-only: sent only when typed; an empty field keeps the stored secret.
      if (d.client_secret) body.client_secret = d.client_secret;
      const saved = await ok(api.PUT('/api/v1/sso/config', { body }));
      onChanged(saved, 'Single sign-on saved. The identity provider answered its discovery request.');
    });
  };

  const issuerPreview = preset.issuer.kind === 'directory' ? preset.issuer.template.replace('{directory}', d.directory || '{directory}') : null;

  return (
    <div className="stack-lg">
      <p className="muted page-intro">
        People sign in with your identity provider (OpenID Connect). Their groups decide their roles here. Saving checks the provider's discovery document and needs a fresh verification.
      </p>
      {config ? (
        <Notice kind="info">
          Single sign-on is <strong>{config.enabled ? 'on' : 'off'}</strong> with {presets.find((p) => p.id === config.preset)?.name ?? config.preset}, last changed {formatTime(config.updated_at)}.
        </Notice>
      ) : (
        <Notice kind="info">Single sign-on is not set up yet. Pick your identity provider below, register Parapet there with the redirect URI shown, and fill in the client it gives you.</Notice>
      )}
      <form onSubmit={save} className="stack-lg" aria-label="Single sign-on settings">
        <section className="card" aria-labelledby="sso-idp-h">
          <h2 id="sso-idp-h">Identity provider</h2>
          <div className="field">
            <label htmlFor="sso-preset">Provider</label>
            <select id="sso-preset" value={d.preset} onChange={(e) => pickPreset(e.target.value)} aria-describedby="sso-preset-notes">
              {presets.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
            <p id="sso-preset-notes" className="field-hint">
              {preset.notes}
            </p>
          </div>
          {preset.issuer.kind === 'directory' ? (
            <div className="field">
              <label htmlFor="sso-directory">Directory (tenant) id</label>
              <input id="sso-directory" value={d.directory} onChange={(e) => set({ directory: e.target.value })} required aria-describedby="sso-directory-hint" />
              <p id="sso-directory-hint" className="field-hint">
                Issuer: <code>{issuerPreview}</code>
              </p>
            </div>
          ) : preset.issuer.kind === 'fixed' ? (
            <div className="field">
              <span className="field-label">Issuer</span>
              <code>{preset.issuer.url}</code>
            </div>
          ) : (
            <div className="field">
              <label htmlFor="sso-issuer">Issuer URL</label>
              <input id="sso-issuer" type="url" value={d.issuer} onChange={(e) => set({ issuer: e.target.value })} required placeholder="https://idp.example.com" aria-describedby="sso-issuer-hint" />
              <p id="sso-issuer-hint" className="field-hint">
                Where <code>/.well-known/openid-configuration</code> is served.
              </p>
            </div>
          )}
          <div className="field">
            <span className="field-label" id="sso-redirect-label">
              Redirect URI (register this at the provider)
            </span>
            <code aria-labelledby="sso-redirect-label" data-testid="sso-redirect-uri">
              {redirectUri}
            </code>
          </div>
          <div className="field">
            <label htmlFor="sso-client-id">Client id</label>
            <input id="sso-client-id" value={d.client_id} onChange={(e) => set({ client_id: e.target.value })} required maxLength={300} autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="sso-client-secret">Client secret</label>
            <input
              id="sso-client-secret"
              type="password"
              value={d.client_secret}
              onChange={(e) => set({ client_secret: e.target.value })}
              autoComplete="new-password"
              maxLength={1000}
              placeholder={config?.has_client_secret ? '•••••• stored' : ''}
              aria-describedby="sso-secret-hint"
            />
            <p id="sso-secret-hint" className="field-hint">
              Write-only: Parapet stores it encrypted and never shows it. {config?.has_client_secret ? 'A secret is stored; leave this empty to keep it.' : 'Leave empty for a public client.'}
            </p>
          </div>
          <div className="field">
            <label htmlFor="sso-scopes">Scopes</label>
            <input id="sso-scopes" value={d.scopes} onChange={(e) => set({ scopes: e.target.value })} maxLength={500} />
          </div>
        </section>

        <section className="card" aria-labelledby="sso-roles-h">
          <h2 id="sso-roles-h">Groups and roles</h2>
          <div className="field">
            <label htmlFor="sso-groups-claim">Groups claim</label>
            <input id="sso-groups-claim" value={d.groups_claim} onChange={(e) => set({ groups_claim: e.target.value })} maxLength={100} aria-describedby="sso-groups-claim-hint" />
            <p id="sso-groups-claim-hint" className="field-hint">
              The ID-token claim that lists a person's groups. Empty: everyone gets the default roles.
            </p>
          </div>
          <table className="table mapping-table">
            <caption className="visually-hidden">Group to role mapping</caption>
            <thead>
              <tr>
                <th scope="col">Group (name or id, as the provider sends it)</th>
                <th scope="col">Role in Parapet</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.mappings.length === 0 ? (
                <tr>
                  <td colSpan={3} className="table-nomatch">
                    No groups mapped yet: everyone gets the default roles. Add a mapping to give a group a role, for example your security team → Security lead.
                  </td>
                </tr>
              ) : (
                d.mappings.map((m, i) => (
                  <tr key={m.key}>
                    <td>
                      <input
                        className="input"
                        aria-label={`Group ${i + 1}`}
                        value={m.group}
                        onChange={(e) => set({ mappings: d.mappings.map((x) => (x.key === m.key ? { ...x, group: e.target.value } : x)) })}
                        required
                      />
                    </td>
                    <td>
                      <select className="input" aria-label={`Role for group ${i + 1}`} value={m.role} onChange={(e) => set({ mappings: d.mappings.map((x) => (x.key === m.key ? { ...x, role: e.target.value as Role } : x)) })}>
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {roleName(r)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className="num">
                      <button type="button" className="btn btn-small" onClick={() => set({ mappings: d.mappings.filter((x) => x.key !== m.key) })} aria-label={`Remove mapping ${i + 1}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          <div className="button-row mapping-add">
            <button type="button" className="btn btn-small" onClick={() => set({ mappings: [...d.mappings, { key: nextKey++, group: '', role: 'employee' }] })}>
              Add mapping
            </button>
          </div>
          <div className="field" role="group" aria-labelledby="sso-default-roles-label">
            <span id="sso-default-roles-label" className="field-label">
              Default roles (when no group matches)
            </span>
            <div className="radio-row">
              {ROLES.map((r) => (
                <label key={r}>
                  <input
                    type="checkbox"
                    checked={d.default_roles.includes(r)}
                    onChange={(e) => set({ default_roles: e.target.checked ? ROLES.filter((x) => x === r || d.default_roles.includes(x)) : d.default_roles.filter((x) => x !== r) })}
                  />{' '}
                  {roleName(r)}
                </label>
              ))}
            </div>
          </div>
          <div className="field">
            <label htmlFor="sso-domains">Allowed email domains</label>
            <input id="sso-domains" value={d.allowed_domains} onChange={(e) => set({ allowed_domains: e.target.value })} placeholder="example.com, example.org" aria-describedby="sso-domains-hint" />
            <p id="sso-domains-hint" className="field-hint">
              Comma-separated. Empty: any address the provider vouches for.
            </p>
          </div>
          <div className="field field-check">
            <input id="sso-jit" type="checkbox" checked={d.jit_provisioning} onChange={(e) => set({ jit_provisioning: e.target.checked })} />
            <label htmlFor="sso-jit">Create people on their first sign-in (just-in-time)</label>
          </div>
          <div className="field field-check">
            <input id="sso-enabled" type="checkbox" checked={d.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
            <label htmlFor="sso-enabled">Single sign-on is on</label>
          </div>
        </section>

        {/* Next to the button that was pressed: a long form must not hide the answer above the fold. */}
        {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save single sign-on'}
          </button>
          {config ? (
            <button type="button" className="btn btn-danger" onClick={() => setRemoving(true)}>
              Remove single sign-on…
            </button>
          ) : null}
        </div>
      </form>
      {removing ? (
        <ConfirmDialog
          title="Remove single sign-on?"
          confirmLabel="Remove"
          busyLabel="Removing…"
          onClose={() => setRemoving(false)}
          onConfirm={async () => {
            await ok(api.DELETE('/api/v1/sso/config'));
            onChanged(null, 'Single sign-on removed.');
          }}
        >
          <p>People can no longer sign in with the identity provider; those without a password must be given one. The stored client secret is deleted.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
