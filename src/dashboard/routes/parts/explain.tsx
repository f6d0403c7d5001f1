import { FieldError, TextField } from '../../shared/layout.tsx';

/** What the explain form asks: a client address, and optionally a time, a method and a path. */
export interface RouteExplainQuestion {
  ip: string;
  at: string;
  method: string;
  path: string;
}

/**
 * "Would this client get through?" on a route's page, for an address at a time (and, on HTTP routes, a method
 * and path); htmx swaps the answer in, a plain GET renders the page. The data plane answers with the same code
 * that enforces (docs/snapshot.md, explain), so nothing here re-implements the policy.
 */
export function ExplainBox({
  routeId,
  question,
  result,
  http,
}: {
  routeId: number;
  question: RouteExplainQuestion;
  result?: ExplainOutcome | undefined;
  http: boolean;
}) {
  const fields = result && !result.ok ? (result.fields ?? {}) : {};
  return (
    <section class="card" aria-labelledby="explain-h">
      <h2 id="explain-h">Explain</h2>
      <p class="hint">
        Would a client from this IP get through, now or at another time? Asked of the data plane itself, so it is what
        enforcement does; nothing is counted against the rate limit.
      </p>
      <form
        method="get"
        action={`/routes/${routeId}/explain`}
        class="row"
        hx-get={`/routes/${routeId}/explain`}
        hx-target="#explain-result"
        hx-swap="innerHTML"
      >
        <TextField name="ip" id="explain-ip" label="Client IP" value={question.ip} placeholder="203.0.113.7" />
        <div class="field">
          <TextField
            name="at"
            id="explain-at"
            label="Time (RFC 3339, empty: now)"
            value={question.at}
            placeholder="2026-11-30T09:30:00+01:00"
          />
          <FieldError id="explain-at" error={fields.at} />
        </div>
        {http ? (
          <>
            <TextField
              name="method"
              id="explain-method"
              label="Request method"
              value={question.method}
              placeholder="GET"
            />
            <TextField name="path" id="explain-path" label="Request path" value={question.path} placeholder="/" />
          </>
        ) : null}
        <button type="submit">Explain</button>
      </form>
      <div id="explain-result" aria-live="polite">
        {result ? <ExplainResult result={result} /> : null}
      </div>
    </section>
  );
}

export type ExplainOutcome =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; message: string; fields?: Record<string, string> };

interface RouteDecision {
  allowed?: boolean;
  check?: string;
  rule_index?: number | null;
  rule?: string;
  login?: boolean;
  country?: string;
  asn?: number;
  rate_limit?: { requests: number; window: string; used: number; remaining: number; retry_after_seconds?: number };
}

export function ExplainResult({ result }: { result: ExplainOutcome }) {
  if (!result.ok) return <p class="explain-result denied">{result.message}</p>;
  const d = (result.body.decision ?? {}) as RouteDecision;
  const policy = typeof result.body.policy === 'string' ? result.body.policy : undefined;
  const matched =
    d.check === 'default' || d.rule_index === null || d.rule_index === undefined
      ? 'no rule matched, the default decided'
      : `rule #${d.rule_index + 1} matched`;
  const rate = d.rate_limit;
  return (
    <div class={`explain-result ${d.allowed ? 'allowed' : 'denied'}`} data-check={d.check}>
      <p>
        <strong>{d.allowed ? 'Allowed' : 'Denied'}</strong>
        {d.login ? ' after the route login' : ''} for {String(result.body.ip ?? '')} — {matched}
        {d.rule ? (
          <>
            : <code class="explain-rule">{d.rule}</code>
          </>
        ) : null}
      </p>
      <ul>
        <li>Policy: {policy ? `shared policy "${policy}"` : 'this route’s own'}</li>
        <li>
          Rate limit:{' '}
          {rate ? `${rate.used} of ${rate.requests} per ${rate.window} used, ${rate.remaining} left` : 'none'}
          {d.check === 'rate_limit' ? ' (over the limit: denied)' : ''}
        </li>
        {d.country ? <li>Country: {d.country}</li> : null}
        {d.asn ? (
          <li>
            AS number: {String(d.asn)} (<a href="https://db-ip.com">IP data by DB-IP</a>)
          </li>
        ) : null}
        <li>At: {String(result.body.at ?? 'now')}</li>
      </ul>
    </div>
  );
}
