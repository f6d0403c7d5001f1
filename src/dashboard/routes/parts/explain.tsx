import { TextField } from '../../shared/layout.tsx';

/** "Would this client get through?" on a route's page; htmx swaps the answer in, a plain GET renders the page. */
export function ExplainBox({ routeId, ip, result }: { routeId: number; ip?: string; result?: ExplainOutcome }) {
  return (
    <section class="card" aria-labelledby="explain-h">
      <h2 id="explain-h">Explain</h2>
      <p class="hint">
        Would a client from this IP get through? Asked of the data plane itself, so it is what enforcement does.
      </p>
      <form
        method="get"
        action={`/routes/${routeId}/explain`}
        class="row"
        hx-get={`/routes/${routeId}/explain`}
        hx-target="#explain-result"
        hx-swap="innerHTML"
      >
        <TextField name="ip" id="explain-ip" label="Client IP" value={ip ?? ''} placeholder="203.0.113.7" />
        <button type="submit">Explain</button>
      </form>
      <div id="explain-result" aria-live="polite">
        {result ? <ExplainResult result={result} /> : null}
      </div>
    </section>
  );
}

export type ExplainOutcome = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

export function ExplainResult({ result }: { result: ExplainOutcome }) {
  if (!result.ok) return <p class="explain-result denied">{result.message}</p>;
  const decision = (result.body.decision ?? {}) as {
    allowed?: boolean;
    check?: string;
    rule?: string;
    country?: string;
    retry_after?: number;
  };
  const checks = Array.isArray(result.body.checks) ? (result.body.checks as string[]) : [];
  return (
    <div class={`explain-result ${decision.allowed ? 'allowed' : 'denied'}`}>
      <p>
        <strong>{decision.allowed ? 'Allowed' : 'Denied'}</strong> for {String(result.body.ip ?? '')}
        {decision.country ? ` (country ${decision.country})` : ''}
        {decision.check ? ` — decided by ${decision.check}` : ''}
        {decision.rule ? `: ${decision.rule}` : ''}
      </p>
      <p class="hint">Checks on this route: {checks.length ? checks.join(', ') : 'none (everyone is allowed)'}</p>
    </div>
  );
}
