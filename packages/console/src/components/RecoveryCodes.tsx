/** One-time recovery codes, shown once after a first factor is set up. */
export function RecoveryCodeList({ codes, label = 'Recovery codes' }: { codes: string[]; label?: string }) {
  return (
    <ul className="recovery-codes" aria-label={label}>
      {codes.map((c) => (
        <li key={c}>
          <code>{c}</code>
        </li>
      ))}
    </ul>
  );
}
