import type { Policy } from '../../../policy/schema.ts';
import type { ExplainAnswer } from '../../../schemas/policies.ts';
import { FieldError } from '../../shared/layout.tsx';
import { OpButton } from './rule-editor.tsx';

export interface ExplainQuestion {
  ip: string;
  at: string;
  method: string;
  path: string;
  kind: string;
}
export type ExplainOutcome =
  | { ok: true; answer: ExplainAnswer; policy: Policy }
  | { ok: false; message: string; fields?: Record<string, string> };

/**
 * "Test an address and time" against the policy as it stands in the editor (saved or not): the data plane
 * decides (POST /gatehouse/v1/explain), so the answer is what enforcement would do.
 */
export function ExplainPanel(props: {
  action: string;
  question: ExplainQuestion;
  outcome?: ExplainOutcome | undefined;
}) {
  const q = props.question;
  const fields = props.outcome && !props.outcome.ok ? (props.outcome.fields ?? {}) : {};
  const input = (name: keyof ExplainQuestion, label: string, placeholder: string) => (
    <div class="field">
      <label for={`explain.${name}`}>{label}</label>
      <input
        id={`explain.${name}`}
        name={`explain.${name}`}
        value={q[name]}
        placeholder={placeholder}
        autocomplete="off"
      />
      <FieldError id={`explain.${name}`} error={fields[name]} />
    </div>
  );
  return (
    <section class="card" aria-labelledby="explain-h">
      <h2 id="explain-h">Test an address and time</h2>
      <p class="hint">Decided by the data plane for the policy as edited above (saved or not); nothing is counted.</p>
      <div class="row">
        {input('ip', 'Client IP', '203.0.113.7')}
        {input('at', 'Time (RFC 3339, empty: now)', '2026-11-30T09:30:00+01:00')}
        {input('method', 'Method (HTTP)', 'GET')}
        {input('path', 'Path (HTTP)', '/')}
        <div class="field">
          <label for="explain.kind">As a route of type</label>
          <select id="explain.kind" name="explain.kind">
            <option value="http" selected={q.kind !== 'l4'}>
              HTTP
            </option>
            <option value="l4" selected={q.kind === 'l4'}>
              L4 (TCP/UDP)
            </option>
          </select>
        </div>
        <OpButton action={props.action} op="explain" label="Explain" target="explain-result">
          Explain
        </OpButton>
      </div>
      <div id="explain-result" aria-live="polite">
        {props.outcome ? <ExplainAnswerView outcome={props.outcome} /> : null}
      </div>
    </section>
  );
}

function ExplainAnswerView({ outcome }: { outcome: ExplainOutcome }) {
  if (!outcome.ok) return <p class="explain-result denied">{outcome.message}</p>;
  const { decision } = outcome.answer;
  const rate = decision.rate_limit as
    | { requests: number; window: string; used: number; remaining: number; retry_after_seconds?: number }
    | undefined;
  const matched = decision.rule_index === null ? 'no rule matched' : `rule #${decision.rule_index + 1} matched`;
  return (
    <div class={`explain-result ${decision.allowed ? 'allowed' : 'denied'}`} data-check={decision.check}>
      <p>
        <strong>{decision.allowed ? 'Allowed' : 'Denied'}</strong>
        {decision.login ? ' after the route login' : ''} — {matched}: <code class="explain-rule">{decision.rule}</code>
      </p>
      <ul>
        <li>Default: {outcome.policy.default}</li>
        <li>
          Rate limit:{' '}
          {rate ? `${rate.used} of ${rate.requests} per ${rate.window} used, ${rate.remaining} left` : 'none'}
          {decision.check === 'rate_limit' ? ' (over the limit: denied)' : ''}
        </li>
        {typeof decision.country === 'string' ? <li>Country: {decision.country}</li> : null}
        {decision.asn !== undefined ? <li>AS number: {String(decision.asn)}</li> : null}
        <li>At: {String(outcome.answer.at ?? '')}</li>
      </ul>
    </div>
  );
}
