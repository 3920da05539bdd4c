import { useState } from 'react';
import { api, describe, ok, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { formatTime, useAsync } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { ConfirmDialog } from '../components/Dialog';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';

type Review = ResponseBody<'/api/v1/governance/reviews', 'get'>['reviews'][number];
type Item = ResponseBody<'/api/v1/governance/reviews/{id}', 'get'>['items'][number];

const KIND_NAMES: Record<string, string> = {
  role: 'Role',
  delegation: 'Delegation',
  scim_token: 'SCIM token',
  sso_config: 'SSO configuration',
  signing_key: 'Signing key',
  approver_group: 'Approver group',
  support_grant: 'Support grant',
  device: 'Device',
};

/** Access reviews (CORE-REVIEW): open one, decide each line, sign off, download the signed evidence. */
export function AccessReviewsPage() {
  const { session } = useSession();
  const [list, reload] = useAsync((signal) => ok(api.GET('/api/v1/governance/reviews', { signal })), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const canOpen = hasRole(session, 'admin');

  async function openNow() {
    setMsg(null);
    try {
      const quarter = `Q${Math.floor(new Date().getMonth() / 3) + 1} ${new Date().getFullYear()}`;
      const r = await ok(api.POST('/api/v1/governance/reviews', { body: { title: `Access review ${quarter}` } }));
      setSelected(r.id);
      reload();
      setMsg({ kind: 'success', text: `Opened “${r.title}” with ${r.counts.total} lines to review.` });
    } catch (e) {
      setMsg({ kind: 'error', text: describe(e) });
    }
  }

  let body;
  if (list.status === 'loading') body = <Loading label="Loading access reviews…" />;
  else if (list.status === 'error') body = <ErrorState error={list.error} onRetry={reload} />;
  else if (!list.data.reviews.length)
    body = (
      <EmptyState title="No access reviews yet." action={canOpen ? <button type="button" className="btn btn-primary" onClick={() => void openNow()}>Open a review now</button> : undefined}>
        A review lists every role, delegation, SCIM token, SSO configuration, signing key, approver group and device. One opens each quarter on its own.
      </EmptyState>
    );
  else
    body = (
      <DataTable<Review>
        caption="Access reviews"
        rows={list.data.reviews}
        rowKey={(r) => r.id}
        filterable={false}
        empty={<EmptyState title="No access reviews yet." />}
        toolbar={canOpen && !list.data.reviews.some((r) => r.status === 'open') ? <button type="button" className="btn" onClick={() => void openNow()}>Open a review now</button> : undefined}
        columns={[
          { key: 'title', header: 'Review', render: (r) => <button type="button" className="btn-link strong" onClick={() => setSelected(r.id)}>{r.title}</button> },
          {
            key: 'status',
            header: 'Status',
            render: (r) =>
              r.status === 'signed_off' ? <span className="badge badge-ok">Signed off</span> : r.overdue ? <span className="badge badge-bad">Overdue</span> : <span className="badge badge-warn">Open</span>,
          },
          { key: 'progress', header: 'Decided', render: (r) => `${r.counts.total - r.counts.pending} / ${r.counts.total}` },
          { key: 'revoked', header: 'Revoked', render: (r) => String(r.counts.revoked) },
          { key: 'due', header: 'Due', className: 'nowrap', render: (r) => formatTime(r.due_at) },
        ]}
      />
    );

  return (
    <div className="stack">
      <p className="muted">Named reviewers confirm or revoke each line; a revocation takes effect at once. The signed-off review is kept as signed evidence.</p>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {body}
      {selected ? <ReviewDetail id={selected} onChanged={reload} /> : null}
    </div>
  );
}

function ReviewDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { session } = useSession();
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/governance/reviews/{id}', { params: { path: { id } }, signal })), [id]);
  const [revoking, setRevoking] = useState<Item | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  if (state.status === 'loading') return <Loading label="Loading the review…" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  const { review, items } = state.data;
  const isReviewer = review.reviewers.includes(session.user_id) && review.status === 'open';

  async function decide(item: Item, decision: 'confirmed' | 'revoked') {
    setMsg(null);
    await ok(api.POST('/api/v1/governance/reviews/{id}/items/{item}/decision', { params: { path: { id, item: item.id } }, body: { decision } }));
    reload();
    onChanged();
  }
  async function signOff() {
    setMsg(null);
    try {
      await ok(api.POST('/api/v1/governance/reviews/{id}/sign-off', { params: { path: { id } } }));
      setMsg({ kind: 'success', text: 'Signed off. The signed evidence is ready to download.' });
      reload();
      onChanged();
    } catch (e) {
      setMsg({ kind: 'error', text: describe(e) });
    }
  }
  async function download() {
    const env = await ok(api.GET('/api/v1/governance/reviews/{id}/evidence', { params: { path: { id } } }));
    const url = URL.createObjectURL(new Blob([JSON.stringify(env, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `access-review-${id}.dsse.json`;
    a.click();
    URL.revokeObjectURL(url);
    setMsg({ kind: 'success', text: 'Downloaded the signed evidence (DSSE envelope).' });
  }

  return (
    <section className="card stack" aria-labelledby="review-title">
      <h2 id="review-title">{review.title}</h2>
      <p className="muted">
        Opened {formatTime(review.opened_at)} · due {formatTime(review.due_at)} · {review.counts.pending} undecided, {review.counts.confirmed} confirmed, {review.counts.revoked} revoked
        {review.signed_off_at ? ` · signed off ${formatTime(review.signed_off_at)}` : ''}
      </p>
      {!isReviewer && review.status === 'open' ? <Notice kind="info">You are not a named reviewer of this review, so you can read it but not decide.</Notice> : null}
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      <DataTable<Item>
        caption="Lines to review"
        filterLabel="Filter lines"
        rows={items}
        rowKey={(i) => String(i.id)}
        empty={<EmptyState title="Nothing to review: no standing access was found." />}
        columns={[
          { key: 'kind', header: 'Kind', sortValue: (i) => i.kind, render: (i) => KIND_NAMES[i.kind] ?? i.kind },
          { key: 'label', header: 'Access', sortValue: (i) => i.label, render: (i) => i.label },
          {
            key: 'decision',
            header: 'Decision',
            sortValue: (i) => i.decision,
            render: (i) => (i.decision === 'confirmed' ? <span className="badge badge-ok">Confirmed</span> : i.decision === 'revoked' ? <span className="badge badge-bad">Revoked</span> : <span className="badge">Undecided</span>),
          },
          ...(isReviewer
            ? [
                {
                  key: 'actions',
                  header: 'Actions',
                  className: 'nowrap',
                  render: (i: Item) =>
                    i.decision === 'pending' ? (
                      <span className="row">
                        <button type="button" className="btn btn-small" onClick={() => void decide(i, 'confirmed').catch((e) => setMsg({ kind: 'error', text: describe(e) }))} aria-label={`Confirm ${i.label}`}>Confirm</button>{' '}
                        <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(i)} aria-label={`Revoke ${i.label}`}>Revoke…</button>
                      </span>
                    ) : (
                      <span className="muted small">{formatTime(i.decided_at)}</span>
                    ),
                },
              ]
            : []),
        ]}
      />
      <div className="row">
        {isReviewer ? (
          <button type="button" className="btn btn-primary" disabled={review.counts.pending > 0} onClick={() => void signOff()}>
            Sign off
          </button>
        ) : null}
        {review.status === 'signed_off' ? <button type="button" className="btn" onClick={() => void download().catch((e) => setMsg({ kind: 'error', text: describe(e) }))}>Download signed evidence</button> : null}
      </div>
      {revoking ? (
        <ConfirmDialog title={`Revoke: ${revoking.label}`} confirmLabel="Revoke now" busyLabel="Revoking…" onConfirm={() => decide(revoking, 'revoked')} onClose={() => setRevoking(null)}>
          The access ends at once and the decision is recorded in the audit log. This cannot be undone from the review.
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
