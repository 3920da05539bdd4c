import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, describe, ok, type RequestBody, type ResponseBody } from '../api';
import { useAsync, formatTime } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { hasRole, useSession } from '../session';
import { DataTable } from '../components/DataTable';
import { DialogFoot, DialogFrame, OneTimeSecret } from '../components/Dialog';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { ExpirySelect } from '../components/ExpirySelect';
import { roleName } from '../components/Shell';

/** `roles_managed_by` is set when an identity provider sets this person's roles (then they are changed there). */
type Person = ResponseBody<'/api/v1/people', 'get'>['people'][number];
type Invitation = ResponseBody<'/api/v1/people/invitations', 'get'>['invitations'][number];
type Role = RequestBody<'/api/v1/people/{id}/roles', 'put'>['roles'][number];

/** Every role, in the server's order, with what it is for. */
export const ROLE_HELP: Array<{ role: string; help: string }> = [
  { role: 'admin', help: 'runs the organisation: people, settings, keys, devices' },
  { role: 'security_lead', help: 'owns Probe scopes, approves production scans' },
  { role: 'operator', help: 'requests scans within signed scopes' },
  { role: 'manager', help: "sees their team's Pulse data" },
  { role: 'employee', help: 'sees their own data and who viewed it' },
  { role: 'auditor', help: 'reads the audit log and settings' },
];

const EXPIRIES = [
  { seconds: 24 * 3600, label: '1 day' },
  { seconds: 72 * 3600, label: '3 days' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];

const STATUS_NAMES: Record<string, string> = { active: 'Active', deactivated: 'Deactivated', erased: 'Erased' };

/** What one erasure did (POST /api/v1/governance/erasures): row counts per table.column. */
type ErasureReport = ResponseBody<'/api/v1/governance/erasures', 'post'>;

/**
 * One erasure request (GET /api/v1/governance/erasures); `report` is set once it completed. Its
 * schema is free-form, so the report is read as the erasure's answer, partly.
 */
type ErasureRequest = Omit<ResponseBody<'/api/v1/governance/erasures', 'get'>['erasures'][number], 'report'> & { report?: Partial<ErasureReport> };

const countRows = (m: Record<string, number> | undefined) => Object.values(m ?? {}).reduce((a, b) => a + b, 0);

/** "sessions.user_id 2, devices.owner_user_id 1" (tables with no rows touched are left out), or "none". */
function rowSummary(m: Record<string, number> | undefined): string {
  const parts = Object.entries(m ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

const managedLabel = (m: Person['roles_managed_by']) => (m === 'sso' ? 'SSO group mapping' : m === 'scim' ? 'SCIM groups' : '');

export function PeoplePage() {
  const { session } = useSession();
  const isAdmin = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/people', { signal })), []);
  const [editing, setEditing] = useState<Person | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [invTick, setInvTick] = useState(0);
  const [erasing, setErasing] = useState<Person | null>(null);
  const [eraseTick, setEraseTick] = useState(0);

  let table;
  if (state.status === 'loading') table = <Loading label="Loading people…" />;
  else if (state.status === 'error') table = <ErrorState error={state.error} onRetry={reload} />;
  else
    table = (
      <div className="stack">
        {state.data.truncated ? <Notice kind="warning">Only the first {state.data.people.length} people are shown.</Notice> : null}
        <DataTable<Person>
          caption="People"
          filterLabel="Filter people"
          rows={state.data.people}
          rowKey={(p) => p.id}
          initialSort={{ key: 'email', dir: 'asc' }}
          empty={<EmptyState title="No people yet.">Invite someone above, or connect your identity provider's SCIM provisioning (Settings → SCIM).</EmptyState>}
          columns={[
            {
              key: 'email',
              header: 'Email',
              sortValue: (p) => p.email,
              // An erased person's row keeps only a placeholder address; say what it is.
              render: (p) => (p.status === 'erased' ? <span className="muted">Erased person</span> : <span className="strong">{p.email}</span>),
            },
            { key: 'name', header: 'Name', sortValue: (p) => p.display_name, render: (p) => p.display_name || <span className="muted">—</span> },
            {
              key: 'roles',
              header: 'Roles',
              sortValue: (p) => p.roles.join(','),
              filterValue: (p) => p.roles.map(roleName).join(' ') + ' ' + p.roles.join(' '),
              render: (p) => (
                <span>
                  {p.roles.length ? p.roles.map((r) => <span key={r} className="badge">{roleName(r)}</span>) : <span className="muted">No role</span>}
                  {p.roles_managed_by ? <span className="muted small"> · managed by {managedLabel(p.roles_managed_by)}</span> : null}
                </span>
              ),
            },
            {
              key: 'status',
              header: 'Status',
              sortValue: (p) => p.status,
              render: (p) => <span className={p.status === 'active' ? 'badge badge-ok' : 'badge badge-muted'}>{STATUS_NAMES[p.status] ?? p.status}</span>,
            },
            { key: 'created', header: 'Added', sortValue: (p) => p.created_at, filterValue: () => '', render: (p) => formatTime(p.created_at) },
            ...(isAdmin
              ? [
                  {
                    key: 'actions',
                    header: 'Actions',
                    className: 'nowrap',
                    render: (p: Person) =>
                      p.status === 'erased' ? null : p.id === session.user_id ? (
                        <span className="muted small">You (another admin changes your roles)</span>
                      ) : (
                        <span>
                          {p.roles_managed_by ? (
                            <span className="muted small">Roles: change in your identity provider</span>
                          ) : (
                            <button type="button" className="btn btn-small" onClick={() => setEditing(p)} aria-label={`Edit roles of ${p.email}`}>
                              Edit roles…
                            </button>
                          )}{' '}
                          <button type="button" className="btn btn-small btn-danger" onClick={() => setErasing(p)} aria-label={`Erase ${p.email}`}>
                            Erase…
                          </button>
                        </span>
                      ),
                  },
                ]
              : []),
          ]}
        />
      </div>
    );

  return (
    <div className="stack-lg">
      <p className="muted page-intro">Everyone who can sign in to this organisation, with their roles.</p>
      {isAdmin ? <InviteCard onInvited={() => setInvTick((t) => t + 1)} /> : null}
      {hasRole(session, 'admin', 'auditor') ? <InvitationList tick={invTick} canRevoke={isAdmin} /> : null}
      <section aria-labelledby="people-h" className="stack">
        <h2 id="people-h">People</h2>
        {msg ? <Notice kind="success">{msg}</Notice> : null}
        {table}
      </section>
      {hasRole(session, 'admin', 'auditor') ? <ErasureList tick={eraseTick} /> : null}
      {editing ? (
        <RolesDialog
          person={editing}
          onClose={() => setEditing(null)}
          onSaved={(roles) => {
            setMsg(`${editing.email} now has: ${roles.map(roleName).join(', ') || 'no role'}. Their sessions were ended; the change applies at their next sign-in.`);
            reload();
          }}
        />
      ) : null}
      {erasing ? (
        <EraseDialog
          person={erasing}
          onClose={() => setErasing(null)}
          onErased={(r) => {
            setMsg(`${erasing.email} is erased: ${countRows(r.deleted)} rows deleted, ${countRows(r.nullified)} references cleared${r.subject_key_destroyed ? ', and their audit key destroyed (their name, e-mail and IP address in the audit log can no longer be read)' : ''}.`);
            setEraseTick((t) => t + 1);
            reload();
          }}
        />
      ) : null}
    </div>
  );
}

function RoleChecks({ value, onChange, idPrefix }: { value: string[]; onChange: (v: string[]) => void; idPrefix: string }) {
  return (
    <fieldset className="field role-checks">
      <legend className="field-label">Roles</legend>
      {ROLE_HELP.map(({ role, help }) => (
        <label key={role} htmlFor={`${idPrefix}-${role}`} className="check-row">
          <input id={`${idPrefix}-${role}`} type="checkbox" checked={value.includes(role)} onChange={(e) => onChange(e.target.checked ? [...value, role] : value.filter((r) => r !== role))} />{' '}
          <span className="strong">{roleName(role)}</span> <span className="muted small">— {help}</span>
        </label>
      ))}
    </fieldset>
  );
}

function InviteCard({ onInvited }: { onInvited: () => void }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<string[]>(['employee']);
  const [expires, setExpires] = useState(EXPIRIES[1]!.seconds);
  const { busy, message, setMessage, run } = useSubmit();
  const [created, setCreated] = useState<{ link: string; email: string; expires_at: string; roles: string[] } | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api.POST('/api/v1/people/invitations', { body: { email: email.trim(), roles: roles as Role[], expires_in_seconds: expires } }));
      if (r.emailed_to) {
        setMessage({ kind: 'success', text: `Invitation mailed to ${r.emailed_to}: the link works once, until ${formatTime(r.invitation.expires_at)}.` });
      } else {
        if (r.email_error) setMessage({ kind: 'error', text: `${r.email_error} Pass the link below on yourself.` });
        setCreated({ link: r.link ?? '', ...r.invitation });
      }
      setEmail('');
      onInvited();
    });
  };

  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Invite someone</h2>
      <p className="muted">Parapet makes a one-time link and mails it when the server has a mail relay (PARAPET_SMTP_URL); otherwise it shows the link once for you to send. They choose a password, and admins and security leads set up two-step verification, when they open it.</p>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {created ? (
        <OneTimeSecret label={`Invitation link for ${created.email}`} value={created.link} onDone={() => setCreated(null)}>
          <p className="small">
            Works once, until {formatTime(created.expires_at)}, for {created.roles.map(roleName).join(', ')}.
          </p>
        </OneTimeSecret>
      ) : (
        <form onSubmit={submit} className="stack">
          <div className="field">
            <label htmlFor={`${id}-email`}>Email</label>
            <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="off" />
          </div>
          <RoleChecks value={roles} onChange={setRoles} idPrefix={`${id}-role`} />
          <ExpirySelect id={`${id}-exp`} label="Link expires after" options={EXPIRIES} value={expires} onChange={setExpires} />
          <div>
            <button type="submit" className="btn btn-primary" disabled={busy || !roles.length}>
              {busy ? 'Creating…' : 'Create invitation link'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function InvitationList({ tick, canRevoke }: { tick: number; canRevoke: boolean }) {
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/people/invitations', { signal })), [tick]);
  const [error, setError] = useState<string | null>(null);
  if (state.status !== 'ok') return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : null;
  const open = state.data.invitations.filter((i) => i.status === 'open');
  if (!state.data.invitations.length) return null;
  return (
    <section aria-labelledby="inv-h" className="stack">
      <h2 id="inv-h">Invitations</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p className="muted small">{open.length} open. Links are never shown again; revoke one and invite again if it was lost.</p>
      <DataTable<Invitation>
        caption="Invitations"
        rows={state.data.invitations}
        rowKey={(i) => i.id}
        initialSort={{ key: 'created', dir: 'desc' }}
        empty={null}
        columns={[
          { key: 'email', header: 'Email', sortValue: (i) => i.email, render: (i) => i.email },
          { key: 'roles', header: 'Roles', sortValue: (i) => i.roles.join(','), render: (i) => i.roles.map(roleName).join(', ') },
          { key: 'status', header: 'Status', sortValue: (i) => i.status, render: (i) => <span className={i.status === 'open' ? 'badge badge-ok' : 'badge badge-muted'}>{i.status}</span> },
          { key: 'created', header: 'Expires', sortValue: (i) => i.created_at, filterValue: () => '', render: (i) => formatTime(i.expires_at) },
          ...(canRevoke
            ? [
                {
                  key: 'actions',
                  header: 'Actions',
                  render: (i: Invitation) =>
                    i.status === 'open' ? (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Revoke the invitation for ${i.email}`}
                        onClick={() => {
                          setError(null);
                          ok(api.DELETE('/api/v1/people/invitations/{id}', { params: { path: { id: i.id } } })).then(reload, (e) => setError(describe(e)));
                        }}
                      >
                        Revoke
                      </button>
                    ) : null,
                },
              ]
            : []),
        ]}
      />
    </section>
  );
}

function RolesDialog({ person, onClose, onSaved }: { person: Person; onClose: () => void; onSaved: (roles: string[]) => void }) {
  const id = useId();
  const [roles, setRoles] = useState<string[]>(person.roles);
  const { busy, message, run } = useSubmit();
  const first = useRef<HTMLDivElement>(null);
  useEffect(() => {
    first.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, []);
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api.PUT('/api/v1/people/{id}/roles', { params: { path: { id: person.id } }, body: { roles: roles as Role[] } }));
      onSaved(r.roles);
      onClose();
    });
  };
  return (
    <DialogFrame title={`Roles of ${person.email}`} busy={busy} onCancel={onClose}>
      <form onSubmit={save} className="stack">
        <div ref={first}>
          <RoleChecks value={roles} onChange={setRoles} idPrefix={`${id}-r`} />
        </div>
        <p className="muted small">Saving ends their sessions; the new roles apply when they sign in again. It needs a fresh two-step verification.</p>
        <DialogFoot error={message?.text} busy={busy} onCancel={onClose}>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save roles'}
          </button>
        </DialogFoot>
      </form>
    </DialogFrame>
  );
}

/**
 * Erasing a person (CORE-PRIVACY): the admin types the person's e-mail and a reason; the
 * server asks for a fresh verification (the step-up dialog opens above this one). Refusals
 * such as `last_admin` or `already_erased` are shown as the server's sentence.
 */
function EraseDialog({ person, onClose, onErased }: { person: Person; onClose: () => void; onErased: (r: ErasureReport) => void }) {
  const id = useId();
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const { busy, message, run } = useSubmit();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    first.current?.focus();
  }, []);
  const matches = typed.trim().toLowerCase() === person.email.toLowerCase();
  const ready = matches && reason.trim().length > 0;
  const erase = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    void run(async () => {
      const r = await ok(api.POST('/api/v1/governance/erasures', { body: { user_id: person.id, reason: reason.trim() } }));
      onErased(r);
      onClose();
    });
  };
  return (
    <DialogFrame
      title={`Erase ${person.email}?`}
      description={
        <p>
          This cannot be undone. Their activity data, devices, sessions, sign-in factors and identity are deleted; audit entries about them stay verifiable, but their name, e-mail and IP address in them become unreadable. Records that are evidence (scan approvals, signed scopes, reviews) keep pointing at an anonymous placeholder.
        </p>
      }
      alert
      busy={busy}
      onCancel={onClose}
    >
      <form onSubmit={erase} className="stack">
        <div className="field">
          <label htmlFor={`${id}-email`}>Type their e-mail to confirm</label>
          <input ref={first} id={`${id}-email`} type="text" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason (kept in the erasure record)</label>
          <textarea id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} rows={3} />
        </div>
        <DialogFoot error={message?.text} busy={busy} onCancel={onClose}>
          <button type="submit" className="btn btn-danger-solid" disabled={busy || !ready} aria-busy={busy || undefined}>
            {busy ? 'Erasing…' : 'Erase permanently'}
          </button>
        </DialogFoot>
      </form>
    </DialogFrame>
  );
}

/** Erasure requests with what each removed, for admins and auditors (evidence for a data-protection authority). */
function ErasureList({ tick }: { tick: number }) {
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/governance/erasures', { signal })).then((r) => ({ erasures: r.erasures as ErasureRequest[] })), [tick]);
  let body;
  if (state.status === 'loading') body = <Loading label="Loading erasure requests…" />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else
    body = (
      <DataTable<ErasureRequest>
        caption="Erasure requests"
        rows={state.data.erasures}
        rowKey={(r) => r.id}
        initialSort={{ key: 'when', dir: 'desc' }}
        empty={<EmptyState title="No erasure requests.">An admin erases a person from the table above.</EmptyState>}
        columns={[
          { key: 'when', header: 'Requested', sortValue: (r) => r.requested_at, filterValue: () => '', render: (r) => formatTime(r.requested_at) },
          { key: 'subject', header: 'Person', sortValue: (r) => r.subject_id, filterValue: (r) => r.subject_id, render: (r) => <code className="small" title={r.subject_id}>{r.subject_id.slice(0, 8)}…</code> },
          { key: 'reason', header: 'Reason', sortValue: (r) => r.reason, render: (r) => r.reason },
          {
            key: 'status',
            header: 'Status',
            sortValue: (r) => (r.completed_at ? 1 : 0),
            render: (r) => (r.completed_at ? <span className="badge badge-ok" title={`Completed ${formatTime(r.completed_at)}`}>Completed</span> : <span className="badge badge-warn">Not completed</span>),
          },
          { key: 'deleted', header: 'Deleted', sortValue: (r) => countRows(r.report?.deleted), filterValue: (r) => rowSummary(r.report?.deleted), render: (r) => <span className="small">{rowSummary(r.report?.deleted)}</span> },
          { key: 'nullified', header: 'Cleared', sortValue: (r) => countRows(r.report?.nullified), filterValue: (r) => rowSummary(r.report?.nullified), render: (r) => <span className="small">{rowSummary(r.report?.nullified)}</span> },
          {
            key: 'kept',
            header: 'Kept',
            sortValue: (r) => r.report?.kept?.length ?? 0,
            filterValue: (r) => (r.report?.kept ?? []).join(' '),
            render: (r) => (
              <details>
                <summary>{r.report?.kept?.length ?? 0}</summary>
                <span className="small">{(r.report?.kept ?? []).join(', ')}</span>
              </details>
            ),
          },
          {
            key: 'key',
            header: 'Audit key',
            sortValue: (r) => (r.report?.subject_key_destroyed ? 1 : 0),
            render: (r) => (r.report?.subject_key_destroyed ? 'Destroyed' : r.completed_at ? 'None was held' : '—'),
          },
        ]}
      />
    );
  return (
    <section aria-labelledby="erasures-h" className="stack">
      <h2 id="erasures-h">Erasure requests</h2>
      <p className="muted small">Each request, why it was made and what it removed. Rows kept as evidence point at an anonymous placeholder; a destroyed audit key makes the person's name, e-mail and IP address in the audit log unreadable while the log still verifies.</p>
      {body}
    </section>
  );
}
