/** A lifetime a person may pick: `seconds` sent to the API, `label` shown ("3 days"). */
export interface Expiry {
  seconds: number;
  label: string;
}

/** A labelled select of `options` (lifetimes of a token or link); `value` and `onChange` in seconds. */
export function ExpirySelect({ id, label, options, value, onChange }: { id: string; label: string; options: Expiry[]; value: number; onChange: (seconds: number) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {options.map((x) => (
          <option key={x.seconds} value={x.seconds}>
            {x.label}
          </option>
        ))}
      </select>
    </div>
  );
}
