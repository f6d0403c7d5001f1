import type { PublicIdentityProvider } from '../../schemas/identity-providers.ts';
import type { getSettings } from '../../services/settings/get.ts';
import { Check } from '../shared/controls.tsx';
import { Csrf, Layout, type PageMeta } from '../shared/layout.tsx';
import { IdentityProvidersCard, type ProviderForm } from './identity-providers-card.tsx';
import { type EndpointForm, WgEndpointCard } from './wg-endpoint-card.tsx';

/** The run-time settings (a form each) and the effective settings from the environment (read-only). */
export function SettingsPage({
  meta: m,
  settings: s,
  endpointForm,
  providers,
  providerForm,
}: {
  meta: PageMeta;
  settings: Awaited<ReturnType<typeof getSettings>>;
  /** A refused endpoint: what was typed and why. */
  endpointForm?: EndpointForm | undefined;
  providers: PublicIdentityProvider[];
  /** A refused provider: what was typed and why (the provider's own answer). */
  providerForm?: ProviderForm | undefined;
}) {
  const loaded = s.geoip.loaded ?? {};
  return (
    <Layout meta={m}>
      <h1>Settings</h1>
      <p>
        <a href="/settings/config">Configuration file and backups</a>: export, apply a file with its plan, the backup
        schedule and downloads.
      </p>
      <WgEndpointCard meta={m} endpoint={s.wireguard_endpoint} form={endpointForm} />
      <IdentityProvidersCard meta={m} providers={providers} ssoOnly={s.sso_only} form={providerForm} />
      <section class="card" aria-labelledby="api-docs-h">
        <h2 id="api-docs-h">API reference</h2>
        <form method="post" action="/settings/api-docs">
          <Csrf token={m.csrf} />
          <Check
            name="api_docs_public"
            label="Anyone may read the API reference without logging in"
            on={s.api_docs_public}
          />
          <p class="muted">
            <a href="/api/v1/docs">/api/v1/docs</a> and <span class="mono">/api/v1/openapi.json</span> list every
            endpoint. Off (the default), they need a login.
          </p>
          <button type="submit">Save</button>
        </form>
      </section>
      <p class="muted">The settings below come from the environment (see the README) and are read-only here.</p>
      <section class="card" aria-labelledby="geoip-h">
        <h2 id="geoip-h">GeoIP database</h2>
        <dl class="facts">
          <dt>Source</dt>
          <dd>{s.geoip.source}</dd>
          <dt>File</dt>
          <dd class="mono">{s.geoip.path ?? '—'}</dd>
          <dt>Type</dt>
          <dd>{String(loaded.database_type ?? '—')}</dd>
          <dt>Built</dt>
          <dd>{String(loaded.build_time ?? 'not loaded by the data plane')}</dd>
          <dt>Variable</dt>
          <dd class="mono">{s.geoip.env}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="l4-h">
        <h2 id="l4-h">Layer-4 listeners</h2>
        <dl class="facts">
          <dt>Blocked ports</dt>
          <dd class="mono">{s.l4.blocked_ports.join(', ')}</dd>
          <dt>Largest range</dt>
          <dd>{s.l4.max_port_range} ports</dd>
          <dt>Listen address</dt>
          <dd class="mono">{s.l4.listen_host ?? 'all addresses'}</dd>
          <dt>Gateway forwarding ports</dt>
          <dd class="mono">{s.gateway_forward_ports}</dd>
          <dt>Variables</dt>
          <dd class="mono">{s.l4.env.join(', ')}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="tls-h">
        <h2 id="tls-h">Server</h2>
        <dl class="facts">
          <dt>Public domain</dt>
          <dd>{s.public_domain ?? '—'}</dd>
          <dt>TLS issuer</dt>
          <dd>{s.tls_issuer}</dd>
        </dl>
        {s.tls_issuer === 'internal' ? (
          <p>
            Certificates come from Gatehouse's own CA, which is never added to this server's trust store. Install{' '}
            <a href="/api/v1/tls/root-certificate" download="gatehouse-root-ca.crt">
              its root certificate
            </a>{' '}
            on the devices that should trust them.
          </p>
        ) : null}
      </section>
    </Layout>
  );
}
