import type { Child } from 'hono/jsx';
import { CONDITION_TYPES, type ConditionType, WEEKDAYS } from '../../../policy/schema.ts';
import { FieldError } from '../../shared/layout.tsx';
import type { Draft, DraftCondition, DraftRule } from '../input.ts';

export type EditorErrors = Record<string, string>;

const TYPE_LABELS: Record<ConditionType, string> = {
  peer: 'Peer (ids)',
  peer_tag: 'Peer tag',
  ip: 'IP address',
  cidr: 'CIDR range',
  country: 'Country (ISO code)',
  asn: 'AS number',
  path_prefix: 'Path prefix (HTTP)',
  method: 'Method (HTTP)',
  time: 'Time window',
  email: 'Email (after an SSO login)',
  email_domain: 'Email domain (after an SSO login)',
  group: 'Group (after an SSO login)',
};
const PLACEHOLDERS: Record<Exclude<ConditionType, 'time'>, string> = {
  peer: '12, 13',
  peer_tag: 'staff',
  ip: '203.0.113.7',
  cidr: '192.168.1.0/24',
  country: 'DE, AT',
  asn: 'AS3320',
  path_prefix: '/api',
  method: 'GET, HEAD',
  email: 'ann@example.com',
  email_domain: 'example.com',
  group: 'staff',
};
const DAY_LABELS: Record<string, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

/**
 * A button of the editor (`op`): without script it submits the whole form, which re-renders the page with the
 * change; with htmx it posts the same and swaps only the editor in.
 */
export function OpButton(props: { action: string; op: string; label: string; children: Child; target?: string }) {
  const target = props.target ?? 'policy-editor';
  return (
    <button
      type="submit"
      name="op"
      value={props.op}
      class="secondary small"
      aria-label={props.label}
      title={props.label}
      hx-post={props.action}
      hx-target={`#${target}`}
      hx-select={`#${target}`}
      hx-swap="outerHTML"
    >
      {props.children}
    </button>
  );
}

/** The ordered rules: each with its action, name, login, conditions and the buttons that move and remove it. */
export function RuleEditor({ draft, action, errors }: { draft: Draft; action: string; errors: EditorErrors }) {
  return (
    <div id="policy-editor">
      <h2>Rules</h2>
      <p class="hint">The first rule whose conditions all hold decides; if none does, the default below.</p>
      <FieldError id="rules" error={errors.rules} />
      <ol class="policy-rules">
        {draft.rules.map((rule, i) => (
          <Rule rule={rule} i={i} count={draft.rules.length} action={action} errors={errors} />
        ))}
      </ol>
      {draft.rules.length === 0 ? <p class="empty">No rules: the default decides for everyone.</p> : null}
      <OpButton action={action} op="add-rule" label="Add a rule">
        Add rule
      </OpButton>
    </div>
  );
}

function Rule(props: { rule: DraftRule; i: number; count: number; action: string; errors: EditorErrors }) {
  const { rule, i, action, errors } = props;
  const p = `rules.${i}`;
  return (
    <li class="card policy-rule" data-rule={i}>
      <fieldset>
        <legend>Rule #{i + 1}</legend>
        <div class="row">
          <div class="field">
            <label for={`${p}.action`}>Action</label>
            <select id={`${p}.action`} name={`${p}.action`}>
              <option value="allow" selected={rule.action === 'allow'}>
                allow
              </option>
              <option value="deny" selected={rule.action === 'deny'}>
                deny
              </option>
            </select>
            <FieldError id={`${p}.action`} error={errors[`${p}.action`]} />
          </div>
          <div class="field">
            <label for={`${p}.name`}>Name (for people)</label>
            <input id={`${p}.name`} name={`${p}.name`} value={rule.name} maxlength={100} autocomplete="off" />
            <FieldError id={`${p}.name`} error={errors[`${p}.name`]} />
          </div>
          <Flag name={`${p}.login`} on={rule.login} label="Allow only after the route login (HTTP)" />
        </div>
        <FieldError id={`${p}.login`} error={errors[`${p}.login`]} />
        <p class="hint">All conditions must hold (none: the rule always holds).</p>
        <FieldError id={`${p}.conditions`} error={errors[`${p}.conditions`]} />
        <ul class="policy-conditions">
          {rule.conditions.map((c, j) => (
            <Condition c={c} p={`${p}.conditions.${j}`} op={`${i}:${j}`} action={action} errors={errors} />
          ))}
        </ul>
        <div class="form-actions">
          <OpButton action={action} op={`add-condition:${i}`} label={`Add a condition to rule #${i + 1}`}>
            Add condition
          </OpButton>
          <OpButton action={action} op={`up:${i}`} label={`Move rule #${i + 1} up`}>
            ↑ Up
          </OpButton>
          <OpButton action={action} op={`down:${i}`} label={`Move rule #${i + 1} down`}>
            ↓ Down
          </OpButton>
          <OpButton action={action} op={`remove-rule:${i}`} label={`Remove rule #${i + 1}`}>
            Remove rule
          </OpButton>
        </div>
      </fieldset>
    </li>
  );
}

function Condition(props: { c: DraftCondition; p: string; op: string; action: string; errors: EditorErrors }) {
  const { c, p, errors } = props;
  return (
    <li class="policy-condition">
      <div class="row">
        <div class="field">
          <label for={`${p}.type`}>Condition</label>
          <select
            id={`${p}.type`}
            name={`${p}.type`}
            hx-post={props.action}
            hx-trigger="change"
            hx-vals='{"op":"refresh"}'
            hx-target="#policy-editor"
            hx-select="#policy-editor"
            hx-swap="outerHTML"
          >
            {CONDITION_TYPES.map((t) => (
              <option value={t} selected={t === c.type}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
          <FieldError id={`${p}.type`} error={errors[`${p}.type`]} />
        </div>
        <Flag name={`${p}.not`} on={c.not} label="not (holds when it does not match)" />
        {c.type === 'time' ? <TimeInputs c={c} p={p} errors={errors} /> : <ValuesInput c={c} p={p} errors={errors} />}
        <OpButton action={props.action} op={`remove-condition:${props.op}`} label="Remove this condition">
          ✕
        </OpButton>
      </div>
    </li>
  );
}

function ValuesInput({ c, p, errors }: { c: DraftCondition; p: string; errors: EditorErrors }) {
  const type = c.type as Exclude<ConditionType, 'time'>;
  return (
    <div class="field grow">
      <label for={`${p}.values`}>Values (any matches)</label>
      <textarea id={`${p}.values`} name={`${p}.values`} rows={1} placeholder={PLACEHOLDERS[type]}>
        {c.values}
      </textarea>
      <FieldError id={`${p}.values`} error={errors[`${p}.values`]} />
    </div>
  );
}

function TimeInputs({ c, p, errors }: { c: DraftCondition; p: string; errors: EditorErrors }) {
  return (
    <>
      <fieldset class="field days">
        <legend>Days</legend>
        {WEEKDAYS.map((d) => (
          <label class="check" for={`${p}.days.${d}`}>
            <input type="checkbox" id={`${p}.days.${d}`} name={`${p}.days`} value={d} checked={c.days.includes(d)} />{' '}
            {DAY_LABELS[d]}
          </label>
        ))}
        <FieldError id={`${p}.days`} error={errors[`${p}.days`]} />
      </fieldset>
      {(['from', 'to'] as const).map((k) => (
        <div class="field">
          <label for={`${p}.${k}`}>{k === 'from' ? 'From' : 'To'}</label>
          <input id={`${p}.${k}`} name={`${p}.${k}`} value={c[k]} placeholder="HH:MM" pattern="\d{2}:\d{2}" size={5} />
          <FieldError id={`${p}.${k}`} error={errors[`${p}.${k}`]} />
        </div>
      ))}
      <div class="field">
        <label for={`${p}.tz`}>Time zone</label>
        <input id={`${p}.tz`} name={`${p}.tz`} value={c.tz} list="time-zones" placeholder="Europe/Berlin" />
        <FieldError id={`${p}.tz`} error={errors[`${p}.tz`]} />
      </div>
    </>
  );
}

/** A posted checkbox (hidden "0" first, so unchecking is seen). */
export function Flag({ name, on, label }: { name: string; on: boolean; label: string }) {
  return (
    <label class="check" for={name}>
      <input type="hidden" name={name} value="0" />
      <input type="checkbox" id={name} name={name} value="1" checked={on} /> {label}
    </label>
  );
}

/** IANA zone names for the time inputs' suggestions (free text still works; the schema judges). */
export function TimeZoneList() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
  return (
    <datalist id="time-zones">
      {['UTC', ...zones].map((z) => (
        <option value={z} />
      ))}
    </datalist>
  );
}
