import { api } from '../api';
import { useAsync, formatTime } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { roleName } from '../components/Shell';

interface Person {
  id: string;
  email: string;
  display_name: string;
  roles: string[];
  status: string;
  created_at: string;
}

export function PeoplePage() {
  const [state, reload] = useAsync((signal) => api.get<{ people: Person[]; truncated: boolean }>('/api/v1/people', { signal }), []);
  if (state.status === 'loading') return <Loading label="Loading people…" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  return (
    <div className="stack">
      <p className="muted page-intro">Everyone who can sign in to this organisation, with their roles.</p>
      {state.data.truncated ? <Notice kind="warning">Only the first {state.data.people.length} people are shown.</Notice> : null}
      <DataTable<Person>
        caption="People"
        filterLabel="Filter people"
        rows={state.data.people}
        rowKey={(p) => p.id}
        initialSort={{ key: 'email', dir: 'asc' }}
        empty={
          <EmptyState title="No people yet.">
            Connect your identity provider's SCIM provisioning (Settings → SCIM), or add people with <code>parapet users add</code>.
          </EmptyState>
        }
        columns={[
          { key: 'email', header: 'Email', sortValue: (p) => p.email, render: (p) => <span className="strong">{p.email}</span> },
          { key: 'name', header: 'Name', sortValue: (p) => p.display_name, render: (p) => p.display_name || <span className="muted">—</span> },
          {
            key: 'roles',
            header: 'Roles',
            sortValue: (p) => p.roles.join(','),
            filterValue: (p) => p.roles.map(roleName).join(' ') + ' ' + p.roles.join(' '),
            render: (p) => (p.roles.length ? p.roles.map((r) => <span key={r} className="badge">{roleName(r)}</span>) : <span className="muted">No role</span>),
          },
          {
            key: 'status',
            header: 'Status',
            sortValue: (p) => p.status,
            render: (p) => <span className={p.status === 'active' ? 'badge badge-ok' : 'badge badge-muted'}>{p.status === 'active' ? 'Active' : 'Deactivated'}</span>,
          },
          { key: 'created', header: 'Added', sortValue: (p) => p.created_at, filterValue: () => '', render: (p) => formatTime(p.created_at) },
        ]}
      />
    </div>
  );
}
