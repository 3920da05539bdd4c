import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, describe, ok, type Query, type ResponseBody } from '../api';
import { useAsync, formatTime } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, Loading } from '../components/States';

type Page = ResponseBody<'/api/v1/audit/search', 'get'>;
type Entry = NonNullable<Page['entries']>[number];
type SearchQuery = Query<'/api/v1/audit/search', 'get'>;
interface Filters {
  actor: string;
  action: string;
  target: string;
  outcome: string;
  since: string;
  until: string;
}
const NO_FILTERS: Filters = { actor: '', action: '', target: '', outcome: '', since: '', until: '' };

/** A name when the entry has one; otherwise type and id (UUIDs shortened, other ids whole). */
const actorLabel = (e: Entry) => e.actor_name ?? `${e.actor_type}:${/^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(e.actor_id) ? e.actor_id.slice(0, 8) : e.actor_id}`;

function query(f: Filters, beforeSeq?: number): SearchQuery {
  const q: SearchQuery = { limit: 50 };
  for (const k of ['actor', 'action', 'target'] as const) if (f[k].trim()) q[k] = f[k].trim();
  if (f.outcome.trim()) q.outcome = f.outcome.trim() as SearchQuery['outcome'];
  // datetime-local is local time without a zone; the API takes ISO instants.
  if (f.since) q.since = new Date(f.since).toISOString();
  if (f.until) q.until = new Date(f.until).toISOString();
  if (beforeSeq) q.before_seq = beforeSeq;
  return q;
}

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [more, setMore] = useState<{ entries: Entry[]; next: number | null; error?: string } | null>(null);
  const [selected, setSelected] = useState<Entry | null>(null);
  const [state, reload] = useAsync(
    async (signal) => {
      setMore(null);
      setSelected(null);
      return ok(api.GET('/api/v1/audit/search', { params: { query: query(applied) }, signal }));
    },
    [applied],
  );
  const id = useId();
  const filtered = Object.values(applied).some(Boolean);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ ...draft });
  };
  const clear = () => {
    setDraft(NO_FILTERS);
    setApplied(NO_FILTERS);
  };
  const loadOlder = async (before: number) => {
    try {
      const r = await ok(api.GET('/api/v1/audit/search', { params: { query: query(applied, before) } }));
      setMore((m) => ({ entries: [...(m?.entries ?? []), ...r.entries], next: r.next_before_seq }));
    } catch (e) {
      setMore((m) => ({ entries: m?.entries ?? [], next: before, error: describe(e) }));
    }
  };

  const field = (k: keyof Filters, label: string, o: { type?: string; placeholder?: string } = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <input id={`${id}-${k}`} type={o.type ?? 'text'} value={draft[k]} placeholder={o.placeholder} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
    </div>
  );

  let body;
  if (state.status === 'loading') body = <Loading label="Loading audit entries…" />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const entries = [...state.data.entries, ...(more?.entries ?? [])];
    const next = more ? more.next : state.data.next_before_seq;
    body = (
      <>
        <DataTable<Entry>
          caption="Audit entries"
          filterLabel="Search this page"
          rows={entries}
          rowKey={(e) => String(e.seq)}
          pageSize={50}
          initialSort={{ key: 'seq', dir: 'desc' }}
          empty={
            filtered ? (
              <EmptyState title="No entries match these filters." action={<button type="button" className="btn" onClick={clear}>Clear filters</button>}>
                Widen the time range or remove a filter.
              </EmptyState>
            ) : (
              <EmptyState title="The audit log is empty.">Every sign-in, change and denied attempt in this organisation is recorded here as it happens.</EmptyState>
            )
          }
          columns={[
            { key: 'seq', header: '#', sortValue: (e) => e.seq, className: 'num' },
            { key: 'at', header: 'Time', sortValue: (e) => e.at, filterValue: () => '', render: (e) => <time dateTime={e.at}>{formatTime(e.at)}</time> },
            { key: 'actor', header: 'Actor', sortValue: actorLabel, render: (e) => <span title={`${e.actor_type} ${e.actor_id}`}>{actorLabel(e)}</span> },
            { key: 'action', header: 'Action', sortValue: (e) => e.action, render: (e) => <code>{e.action}</code> },
            { key: 'target', header: 'Target', sortValue: (e) => `${e.target_type ?? ''}:${e.target_id ?? ''}`, render: (e) => (e.target_type ? <span title={e.target_id ?? ''}>{e.target_type} {e.target_id?.slice(0, 8)}</span> : <span className="muted">—</span>) },
            { key: 'outcome', header: 'Outcome', sortValue: (e) => e.outcome, render: (e) => <span className={`badge ${e.outcome === 'success' ? 'badge-ok' : e.outcome === 'denied' ? 'badge-warn' : 'badge-bad'}`}>{e.outcome}</span> },
            {
              key: 'more',
              header: 'Details',
              render: (e) => (
                <button type="button" className="btn btn-small" aria-expanded={selected?.seq === e.seq} aria-controls="audit-detail" onClick={() => setSelected(selected?.seq === e.seq ? null : e)}>
                  {selected?.seq === e.seq ? 'Hide' : 'View'}
                  <span className="visually-hidden"> entry {e.seq}</span>
                </button>
              ),
            },
          ]}
        />
        {more?.error ? <p className="field-error" role="alert">{more.error}</p> : null}
        {next ? (
          <div className="load-more">
            <button type="button" className="btn" onClick={() => void loadOlder(next)}>
              Load older entries
            </button>
          </div>
        ) : null}
        {selected ? <EntryDetail entry={selected} onClose={() => setSelected(null)} /> : null}
      </>
    );
  }

  return (
    <div className="stack">
      <ChainStatus />
      <p className="muted page-intro">An append-only record of who did what, when and from where. Filters apply on the server; the search box narrows what is loaded.</p>
      <form className="filter-bar card" onSubmit={apply} aria-label="Audit filters">
        {field('actor', 'Actor', { placeholder: 'email or id' })}
        {field('action', 'Action', { placeholder: 'e.g. auth.' })}
        {field('target', 'Target', { placeholder: 'type or id' })}
        <div className="field">
          <label htmlFor={`${id}-outcome`}>Outcome</label>
          <select id={`${id}-outcome`} value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
            <option value="denied">Denied</option>
          </select>
        </div>
        {field('since', 'From', { type: 'datetime-local' })}
        {field('until', 'Until', { type: 'datetime-local' })}
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
          <button type="button" className="btn" onClick={clear} disabled={!filtered && !Object.values(draft).some(Boolean)}>
            Clear
          </button>
        </div>
      </form>
      {body}
    </div>
  );
}

function EntryDetail({ entry: e, onClose }: { entry: Entry; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  useEffect(() => {
    heading.current?.focus();
    const back = opener.current;
    return () => {
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    };
  }, [e.seq]);
  return (
    <section
      id="audit-detail"
      className="card side-panel"
      aria-labelledby="audit-detail-h"
      onKeyDown={(k) => {
        if (k.key === 'Escape') onClose();
      }}
    >
      <div className="card-head">
        <h2 id="audit-detail-h" ref={heading} tabIndex={-1}>
          Entry {e.seq}
        </h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="dl-grid">
        <dt>Time</dt>
        <dd>
          {formatTime(e.at)} <span className="muted small">({e.at})</span>
        </dd>
        <dt>Actor</dt>
        <dd>
          {e.actor_name ?? '—'} <span className="muted">({e.actor_type} {e.actor_id})</span>
        </dd>
        <dt>From</dt>
        <dd>
          {e.ip ?? '—'} <span className="muted small">{e.user_agent ?? ''}</span>
        </dd>
        <dt>Action</dt>
        <dd>
          <code>{e.action}</code> · {e.outcome}
        </dd>
        <dt>Target</dt>
        <dd>{e.target_type ? `${e.target_type} ${e.target_id}` : '—'}</dd>
        <dt>Purpose</dt>
        <dd>{e.purpose ?? '—'}</dd>
        <dt>Details</dt>
        <dd>
          <pre className="json">{JSON.stringify(e.details, null, 2)}</pre>
        </dd>
      </dl>
    </section>
  );
}


/**
 * The server's verification of the whole log (chain, tree, signatures, witnesses) and the export for
 * `parapet audit verify`. The export needs a fresh MFA: the step-up dialog appears.
 */
function ChainStatus() {
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/audit/status', { signal })), []);
  const { busy: exporting, message, run } = useSubmit();
  const download = () =>
    run(async () => {
      const data = await ok(api.GET('/api/v1/audit/export'));
      const url = URL.createObjectURL(new Blob([JSON.stringify(data)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `parapet-audit-export-${new Date().toISOString().slice(0, 10)}.json`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return `Downloaded ${a.download} (${data?.entries?.length ?? 0} entries). Check it with: parapet audit verify ${a.download}`;
    });
  let body;
  if (state.status === 'loading') body = <Loading label="Verifying the log…" />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else if (state.data.state === 'nothing_to_verify') {
    body = (
      <p className="muted" data-testid="checkpoint-status">
        <span className="badge badge-muted">Nothing to verify yet</span> {state.data.entries} entries and no signed checkpoint yet; the first is signed within the hour.
      </p>
    );
  } else if (!state.data.verified) {
    body = (
      <p data-testid="checkpoint-status" role="alert">
        <span className="badge badge-bad">Verification failed</span> {state.data.first_bad_entry ? `Entry ${state.data.first_bad_entry}: ` : ''}
        {state.data.reason}. Export the log and run <code>parapet audit verify</code> to investigate.
      </p>
    );
  } else if (!state.data.latest_checkpoint) {
    body = <p className="muted" data-testid="checkpoint-status">{state.data.entries} entries; no checkpoint has been signed yet (the hourly job signs the first one).</p>;
  } else {
    const cp = state.data.latest_checkpoint;
    body = (
      <p data-testid="checkpoint-status">
        <span className="badge badge-ok">Verified</span> Verified up to entry {state.data.entries}; checkpoint of entries 1–{cp.tree_size} signed at {formatTime(cp.created_at)}.{' '}
        {state.data.witnesses.length ? `Cosigned by witnesses: ${state.data.witnesses.join(', ')}.` : 'No witness cosignatures yet.'}
      </p>
    );
  }
  return (
    <section className="card" aria-labelledby="chain-h">
      <div className="card-head">
        <h2 id="chain-h">Integrity</h2>
        <button type="button" className="btn btn-small" onClick={() => void download()} disabled={exporting}>
          {exporting ? 'Preparing export…' : 'Download export'}
        </button>
      </div>
      {message?.kind === 'error' ? <p className="field-error" role="alert">{message.text}</p> : null}
      <p className="small" role="status" data-testid="export-status">
        {message?.kind === 'success' ? message.text : ''}
      </p>
      {body}
      <p className="muted small">
        Check the export offline with <code>parapet audit verify</code>: it recomputes the hash chain and Merkle tree and checks every signature.
      </p>
    </section>
  );
}
