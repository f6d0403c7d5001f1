import { RATE_LIMIT_WINDOWS } from '../../../policy/schema.ts';
import type { PolicyUser } from '../../../services/policies/usage.ts';
import { Csrf, ErrorSummary, FieldError, Layout, type PageMeta, TextField } from '../../shared/layout.tsx';
import type { Draft } from '../input.ts';
import { type ExplainOutcome, ExplainPanel, type ExplainQuestion } from '../parts/explain.tsx';
import { type EditorErrors, Flag, RuleEditor, TimeZoneList } from '../parts/rule-editor.tsx';

/**
 * A policy's page: name and description, the rules editor, default, rate limit and login, the routes using
 * it, and explain. One form: the editor's buttons post it with an `op`, Save posts it with `op=save`.
 */
export function PolicyEditPage(props: {
  meta: PageMeta;
  /** Where the form posts: /policies (new) or /policies/:id. */
  action: string;
  id?: number | undefined;
  draft: Draft;
  users?: PolicyUser[] | undefined;
  errors?: EditorErrors | undefined;
  summary?: string | undefined;
  question: ExplainQuestion;
  outcome?: ExplainOutcome | undefined;
}) {
  const { draft: d, action } = props;
  const errors = props.errors ?? {};
  return (
    <Layout meta={props.meta}>
      <div class="page-head">
        <h1>{props.meta.title}</h1>
        {props.id ? (
          <a class="button danger" href={`/policies/${props.id}/delete`}>
            Delete
          </a>
        ) : null}
      </div>
      <ErrorSummary summary={props.summary} />
      <form method="post" action={action} class="policy-form">
        <Csrf token={props.meta.csrf} />
        {/* Enter in a text field submits with the first submit button: make that Save, not an editor button. */}
        <button type="submit" name="op" value="save" hidden tabindex={-1} />
        <section class="card">
          <TextField name="name" label="Name" value={d.name} error={errors.name} required />
          <TextField name="description" label="Description" value={d.description} error={errors.description} />
        </section>
        <section class="card">
          <RuleEditor draft={d} action={action} errors={errors} />
        </section>
        <section class="card" aria-labelledby="defaults-h">
          <h2 id="defaults-h">Default, rate limit, login</h2>
          <div class="row">
            <div class="field">
              <label for="default">When no rule matches</label>
              <select id="default" name="default">
                <option value="deny" selected={d.default === 'deny'}>
                  deny
                </option>
                <option value="allow" selected={d.default === 'allow'}>
                  allow
                </option>
              </select>
              <FieldError id="default" error={errors.default} />
            </div>
            <Flag name="login" on={d.login} label="Every allowed client must log in (HTTP routes)" />
          </div>
          <FieldError id="login" error={errors.login} />
          <div class="row">
            <Flag name="rate_limit.on" on={d.rateLimit.on} label="Rate limit" />
            <div class="field">
              <label for="rate_limit.requests">At most (requests or new connections per client)</label>
              <input
                id="rate_limit.requests"
                name="rate_limit.requests"
                value={d.rateLimit.requests}
                inputmode="numeric"
                size={7}
              />
              <FieldError id="rate_limit.requests" error={errors['rate_limit.requests']} />
            </div>
            <div class="field">
              <label for="rate_limit.window">in any window of</label>
              <select id="rate_limit.window" name="rate_limit.window">
                {RATE_LIMIT_WINDOWS.map((w) => (
                  <option value={w} selected={w === d.rateLimit.window}>
                    {w}
                  </option>
                ))}
              </select>
              <FieldError id="rate_limit.window" error={errors['rate_limit.window']} />
            </div>
          </div>
        </section>
        <div class="form-actions">
          <button type="submit" name="op" value="save">
            {props.id ? 'Save policy' : 'Create policy'}
          </button>
          <a href="/policies">Cancel</a>
        </div>
        <ExplainPanel action={action} question={props.question} outcome={props.outcome} />
      </form>
      {props.id ? <UsedBy users={props.users ?? []} /> : null}
      <TimeZoneList />
    </Layout>
  );
}

function UsedBy({ users }: { users: PolicyUser[] }) {
  return (
    <section class="card" aria-labelledby="used-h">
      <h2 id="used-h">Used by</h2>
      {users.length === 0 ? (
        <p class="empty">No route uses this policy.</p>
      ) : (
        <ul class="policy-users">
          {users.map((r) => (
            <li>
              <a href={`/routes/${r.id}`}>{r.name}</a> <span class="muted">({r.type === 'l4' ? 'L4' : 'HTTP'})</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
