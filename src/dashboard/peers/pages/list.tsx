import type { PublicPeer } from '../../../schemas/peers.ts';
import type { Form, FormErrors } from '../../shared/forms.ts';
import { ago, Badge, Csrf, formatBytes, Layout, type PageMeta, TextField } from '../../shared/layout.tsx';
import { PeerForm } from '../parts/peer-form.tsx';
import { PeerStatus } from '../parts/status.tsx';

/** All peers, filtered by name and tag, each with an enable/disable button. */
export function PeersPage(props: {
  meta: PageMeta;
  q?: string | undefined;
  tag?: string | undefined;
  peers: PublicPeer[];
  total: number;
}) {
  const { meta: m } = props;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>Peers</h1>
        <a class="button primary" href="/peers/new">
          New peer
        </a>
      </div>
      <form method="get" action="/peers" class="filters">
        <TextField name="q" label="Name contains" type="search" value={props.q ?? ''} />
        <TextField name="tag" label="Tag" value={props.tag ?? ''} />
        <button type="submit">Filter</button>
      </form>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">WireGuard peers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col" class="opt">
                Address
              </th>
              <th scope="col" class="opt">
                Tags
              </th>
              <th scope="col" class="opt">
                Handshake
              </th>
              <th scope="col">Traffic ↓/↑</th>
              <th scope="col" class="actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.peers.length === 0 ? (
              <tr>
                <td colspan={7} class="empty">
                  No peers yet. <a href="/peers/new">Create the first one</a>.
                </td>
              </tr>
            ) : (
              props.peers.map((p) => (
                <tr>
                  <td>
                    <a href={`/peers/${p.id}`}>{p.name}</a>
                    {p.is_gateway ? <Badge tone="muted">gateway</Badge> : null}
                  </td>
                  <td>
                    <PeerStatus p={p} />
                  </td>
                  <td class="opt mono">{p.address}</td>
                  <td class="opt">{p.tags.join(', ')}</td>
                  <td class="opt">{ago(p.stats?.latest_handshake_at)}</td>
                  <td>{p.stats ? `${formatBytes(p.stats.rx_bytes)} / ${formatBytes(p.stats.tx_bytes)}` : '—'}</td>
                  <td class="actions">
                    <form method="post" action={`/peers/${p.id}/toggle`} class="inline">
                      <Csrf token={m.csrf} />
                      <input type="hidden" name="enabled" value={p.enabled ? '0' : '1'} />
                      <button type="submit" class="small" aria-label={`${p.enabled ? 'Disable' : 'Enable'} ${p.name}`}>
                        {p.enabled ? 'Disable' : 'Enable'}
                      </button>
                    </form>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <p class="hint">{props.total} peers</p>
    </Layout>
  );
}

/** An empty form, or the one that failed with its errors. */
export function NewPeerPage({ meta: m, values, errors }: { meta: PageMeta; values: Form; errors?: FormErrors }) {
  return (
    <Layout meta={m}>
      <h1>New peer</h1>
      <PeerForm meta={m} values={values} errors={errors} />
    </Layout>
  );
}
