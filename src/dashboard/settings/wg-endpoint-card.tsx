import type { WgEndpoint } from '../../services/settings/wg-endpoint.ts';
import { type Form, type FormErrors, str } from '../shared/forms.ts';
import { Csrf, ErrorSummary, type PageMeta, TextField } from '../shared/layout.tsx';

export interface EndpointForm {
  values: Form;
  errors: FormErrors;
}

const SOURCE_TEXT = {
  environment: 'fixed by GATEHOUSE_WG_ENDPOINT',
  setting: 'set here',
  public_domain: 'derived from GATEHOUSE_PUBLIC_DOMAIN',
} as const;

/**
 * Where WireGuard clients connect (the Endpoint line of every config). The overview links here while it is
 * unknown; when GATEHOUSE_WG_ENDPOINT fixes it the value is shown, not offered for editing.
 */
export function WgEndpointCard({
  meta: m,
  endpoint: ep,
  form,
}: {
  meta: PageMeta;
  endpoint: WgEndpoint;
  form?: EndpointForm | undefined;
}) {
  return (
    <section class="card" id="wg-endpoint" aria-labelledby="wg-endpoint-h">
      <h2 id="wg-endpoint-h">WireGuard endpoint</h2>
      <p>
        {ep.effective ? (
          <>
            Clients connect to <span class="mono">{ep.effective}</span> ({SOURCE_TEXT[ep.source!]}).
          </>
        ) : (
          <strong>Not set: peers cannot download a config or QR code until it is.</strong>
        )}
      </p>
      {ep.source === 'environment' ? (
        <p class="muted">
          Unset <span class="mono">{ep.env}</span> and restart to change it here.
        </p>
      ) : (
        <form method="post" action="/settings/wg-endpoint" novalidate>
          <Csrf token={m.csrf} />
          <ErrorSummary summary={form?.errors.summary} />
          <TextField
            name="wg_endpoint"
            label="Public host name or address"
            value={form ? str(form.values, 'wg_endpoint') : ep.setting}
            error={form?.errors.fields.wg_endpoint}
            placeholder="vpn.example.com"
            hint="host or host:port, as clients on the internet reach this server; empty clears it. Configs generated afterwards use it, no restart needed."
          />
          <button type="submit">Save</button>
        </form>
      )}
    </section>
  );
}
