import { useId, useMemo, useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: string;
  /** Cell content; defaults to String(row[key]). */
  render?: (row: T) => ReactNode;
  /** Value to sort on; absent means the column is not sortable. */
  sortValue?: (row: T) => string | number;
  /** Text the filter box matches; defaults to the sort value. */
  filterValue?: (row: T) => string;
  className?: string;
}

interface Props<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Shown when there are no rows at all (says what to do). */
  empty: ReactNode;
  pageSize?: number;
  /** Client-side filter box over the filterable columns. */
  filterable?: boolean;
  filterLabel?: string;
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  toolbar?: ReactNode;
}

/**
 * A dense, accessible table: a labelled filter box, sortable column headers (buttons with
 * aria-sort on the header cell), paging with a live summary. All in memory: pages that
 * page on the server render their own controls around it.
 */
export function DataTable<T>({ caption, columns, rows, rowKey, empty, pageSize = 25, filterable = true, filterLabel = 'Filter', initialSort, toolbar }: Props<T>) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState(initialSort ?? null);
  const [page, setPage] = useState(0);
  const filterId = useId();
  const summaryId = useId();

  const filtered = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return rows;
    return rows.filter((r) =>
      columns.some((c) => {
        const v = c.filterValue ? c.filterValue(r) : c.sortValue ? String(c.sortValue(r)) : '';
        return v.toLowerCase().includes(needle);
      }),
    );
  }, [rows, filter, columns]);

  const sorted = useMemo(() => {
    const col = sort && columns.find((c) => c.key === sort.key);
    if (!col?.sortValue) return filtered;
    const get = col.sortValue;
    const dir = sort!.dir === 'asc' ? 1 : -1;
    return [...filtered].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
    });
  }, [filtered, sort, columns]);

  const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
  const current = Math.min(page, pages - 1);
  const visible = sorted.slice(current * pageSize, current * pageSize + pageSize);

  const toggleSort = (key: string) => {
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' }));
    setPage(0);
  };

  if (rows.length === 0) return <>{empty}</>;

  const from = sorted.length === 0 ? 0 : current * pageSize + 1;
  const to = current * pageSize + visible.length;

  return (
    <div className="table-wrap">
      {filterable || toolbar ? (
      <div className="table-toolbar">
        {filterable ? (
          <div className="field-inline">
            <label htmlFor={filterId}>{filterLabel}</label>
            <input
              id={filterId}
              type="search"
              value={filter}
              placeholder="Type to filter"
              onChange={(e) => {
                setFilter(e.target.value);
                setPage(0);
              }}
              aria-describedby={summaryId}
            />
          </div>
        ) : null}
        {toolbar}
        <span id={summaryId} className="muted small table-summary" aria-live="polite">
          {sorted.length === rows.length ? `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}` : `${sorted.length} of ${rows.length} rows match`}
        </span>
      </div>
      ) : null}
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th key={c.key} scope="col" className={c.className} aria-sort={active ? (sort!.dir === 'asc' ? 'ascending' : 'descending') : c.sortValue ? 'none' : undefined}>
                  {c.sortValue ? (
                    <button type="button" className="sort-button" onClick={() => toggleSort(c.key)}>
                      {c.header}
                      <span className="sort-indicator" aria-hidden="true">
                        {active ? (sort!.dir === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {visible.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="table-nomatch">
                Nothing matches “{filter}”. Clear the filter to see all {rows.length} rows.
              </td>
            </tr>
          ) : (
            visible.map((r) => (
              <tr key={rowKey(r)}>
                {columns.map((c) => (
                  <td key={c.key} className={c.className}>
                    {c.render ? c.render(r) : String((r as Record<string, unknown>)[c.key] ?? '')}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {pages > 1 ? (
        <nav className="pager" aria-label={`${caption} pages`}>
          <button type="button" className="btn btn-small" onClick={() => setPage(current - 1)} disabled={current === 0}>
            Previous
          </button>
          <span className="small">
            {from}–{to} of {sorted.length} · page {current + 1} of {pages}
          </span>
          <button type="button" className="btn btn-small" onClick={() => setPage(current + 1)} disabled={current >= pages - 1}>
            Next
          </button>
        </nav>
      ) : null}
    </div>
  );
}
