import type { Child } from 'hono/jsx';
import { describedBy, FieldError } from './layout.tsx';

/** Small form controls the pages share: radio buttons, selects with hint and error, posted checkboxes. */
export function Radio({
  name,
  value,
  current,
  id,
  children,
}: {
  name: string;
  value: string;
  current: string;
  id: string;
  children: Child;
}) {
  return (
    <label for={id}>
      <input type="radio" id={id} name={name} value={value} checked={current === value} /> {children}
    </label>
  );
}

export function Select(props: {
  name: string;
  label: string;
  value: string;
  options: [string, string][];
  error?: string | undefined;
  hint?: string;
  class?: string;
}) {
  return (
    <div class={`field ${props.class ?? ''}`}>
      <label for={props.name}>{props.label}</label>
      <select
        id={props.name}
        name={props.name}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy(props.name, props.error, Boolean(props.hint))}
      >
        {props.options.map(([v, l]) => (
          <option value={v} selected={v === props.value}>
            {l}
          </option>
        ))}
      </select>
      {props.hint ? (
        <p class="hint" id={`${props.name}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <FieldError id={props.name} error={props.error} />
    </div>
  );
}

/** A checkbox whose unchecked state still posts (the hidden "0"), so a partial update can turn it off. */
export function Check({ name, label, on, toggle }: { name: string; label: string; on: boolean; toggle?: boolean }) {
  return (
    <>
      <input type="hidden" name={name} value="0" />
      <label class={`check ${toggle ? 'panel-toggle-label' : ''}`} for={name}>
        <input
          type="checkbox"
          id={name}
          name={name}
          value="1"
          checked={on}
          class={toggle ? 'panel-toggle' : undefined}
        />{' '}
        {label}
      </label>
    </>
  );
}
