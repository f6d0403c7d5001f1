import type { PublicGateway } from '../../../schemas/gateways.ts';
import type { Form, FormErrors } from '../../shared/forms.ts';
import { Layout, type PageMeta } from '../../shared/layout.tsx';
import { ConfigCell, HealthCell, SeenCell, StatusCell } from '../parts/cells.tsx';
import { GatewayForm } from '../parts/gateway-form.tsx';
import { type CreatedToken, TokenOnce } from '../parts/token-once.tsx';

/** All gateways with live status (the cells' ids are what the live stream updates), and the create form. */
export function GatewaysPage(props: {
  meta: PageMeta;
  gateways: PublicGateway[];
  created?: CreatedToken | undefined;
  peers: { id: number; name: string; address: string }[];
  values?: Form | undefined;
  errors?: FormErrors | undefined;
}) {
  const { meta: m, gateways: list } = props;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>Gateways</h1>
      </div>
      <TokenOnce created={props.created} />
      <div class="table-wrap" data-live-stream="/gateways/events">
        <table>
          <thead>
            <tr>
              <th scope="col">Gateway</th>
              <th scope="col">Status</th>
              <th scope="col" class="opt">
                Last seen
              </th>
              <th scope="col">Config applied / current</th>
              <th scope="col" class="opt">
                Listeners and targets
              </th>
            </tr>
          </thead>
          <tbody>
            {list.length === 0 ? (
              <tr>
                <td colspan={5} class="empty">
                  No gateways yet. A gateway forwards TCP/UDP from its tunnel to hosts in its LAN.
                </td>
              </tr>
            ) : (
              list.map((g) => (
                <tr>
                  <td>
                    <a href={`/gateways/${g.id}`}>{g.name}</a> <span class="muted mono">{g.tunnel_ip ?? ''}</span>
                  </td>
                  <td id={`gw-${g.id}-status`}>
                    <StatusCell g={g} />
                  </td>
                  <td class="opt" id={`gw-${g.id}-seen`}>
                    <SeenCell g={g} />
                  </td>
                  <td id={`gw-${g.id}-config`}>
                    <ConfigCell g={g} />
                  </td>
                  <td class="opt" id={`gw-${g.id}-health`}>
                    <HealthCell g={g} />
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <p class="hint">Status updates live while this page is open.</p>
      <GatewayForm meta={m} values={props.values ?? {}} errors={props.errors} peers={props.peers} />
    </Layout>
  );
}
