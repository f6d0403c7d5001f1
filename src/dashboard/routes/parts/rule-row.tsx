import { FieldError } from '../../shared/layout.tsx';

/** One IP-filter rule (type + value); `n` is the row's index, or `__n__` in the template app.js clones. */
export function RuleRow({
  n,
  type,
  value,
  error,
}: {
  n: string;
  type: string;
  value: string;
  error?: string | undefined;
}) {
  return (
    <div class="row rule-row">
      <div class="field">
        <label for={`rule_type_${n}`}>Rule {Number.isNaN(Number(n)) ? '' : Number(n) + 1} type</label>
        <select id={`rule_type_${n}`} name="rule_type">
          {[
            ['ip', 'IP address'],
            ['cidr', 'CIDR range'],
            ['country', 'Country code'],
          ].map(([v, l]) => (
            <option value={v} selected={v === type}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <div class={`field ${error ? 'has-error' : ''}`}>
        <label for={`rule_value_${n}`}>Value</label>
        <input
          id={`rule_value_${n}`}
          name="rule_value"
          value={value}
          placeholder="203.0.113.5, 10.0.0.0/8 or DE"
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? `rule_value_${n}-error` : undefined}
        />
        <FieldError id={`rule_value_${n}`} error={error} />
      </div>
      <button type="button" class="small" data-remove-row aria-label="Remove this rule">
        Remove
      </button>
    </div>
  );
}
