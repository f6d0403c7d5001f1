import type { PublicGateway } from '../../../schemas/gateways.ts';
import type { PublicRoute } from '../../../schemas/routes.ts';
import type { Form, FormErrors } from '../../shared/forms.ts';
import { Layout, type PageMeta } from '../../shared/layout.tsx';
import { ConfigCell, SeenCell, StatusCell } from '../parts/cells.tsx';
import { GatewayForm } from '../parts/gateway-form.tsx';
import { GatewayRoutesTable } from '../parts/routes-table.tsx';
import { type CreatedToken, TokenOnce } from '../parts/token-once.tsx';

/** A stored gateway as form values. */
export const gatewayValues = (g: PublicGateway): Form => ({
  name: g.name,
  peer_id: g.peer_id ? String(g.peer_id) : '',
  lan_networks: g.lan_networks.join(', '),
});

/** One gateway: its live state, token rotation, the routes through it, the edit form and delete. */
export function GatewayPage(props: {
  meta: PageMeta;
  gateway: PublicGateway;
  routes: PublicRoute[];
  created?: CreatedToken | undefined;
  peers: { id: number; name: string; address: string }[];
  edit?: { values: Form; errors: FormErrors } | undefined;
}) {
  const { meta: m, gateway: g } = props;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>{g.name}</h1>
        <span id={`gw-${g.id}-status`} data-live-stream="/gateways/events">
          <StatusCell g={g} />
        </span>
      </div>
      <TokenOnce created={props.created} />
      <div class="grid">
        <section class="card" aria-labelledby="gw-facts-h">
          <h2 id="gw-facts-h">State</h2>
          <dl class="facts">
            <dt>Tunnel IP</dt>
            <dd class="mono">{g.tunnel_ip ?? 'no peer yet'}</dd>
            <dt>Last seen</dt>
            <dd id={`gw-${g.id}-seen`}>
              <SeenCell g={g} />
            </dd>
            <dt>Handshake</dt>
            <dd>{g.handshake_age_seconds === null ? 'unknown' : `${g.handshake_age_seconds} s ago`}</dd>
            <dt>Config</dt>
            <dd id={`gw-${g.id}-config`}>
              <ConfigCell g={g} />
            </dd>
            <dt>LAN networks</dt>
            <dd class="mono">{g.lan_networks.join(', ') || '—'}</dd>
            <dt>Token</dt>
            <dd class="mono">{g.token_prefix}…</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="gw-token-h">
          <h2 id="gw-token-h">Agent token</h2>
          <p>A new token stops the old one at once and disconnects the agent until it uses the new one.</p>
          <a class="button" href={`/gateways/${g.id}/rotate`}>
            Rotate token…
          </a>
        </section>
      </div>
      <section class="card" aria-labelledby="gw-routes-h">
        <h2 id="gw-routes-h">Routes through this gateway</h2>
        <GatewayRoutesTable g={g} routes={props.routes} />
      </section>
      <GatewayForm
        meta={m}
        gateway={g}
        values={props.edit?.values ?? gatewayValues(g)}
        errors={props.edit?.errors}
        peers={props.peers}
      />
      <section class="card" aria-labelledby="gw-delete-h">
        <h2 id="gw-delete-h">Delete</h2>
        <p>Only a gateway that no route uses can be deleted; its agent is disconnected.</p>
        <a class="button danger" href={`/gateways/${g.id}/delete`}>
          Delete {g.name}…
        </a>
      </section>
    </Layout>
  );
}
