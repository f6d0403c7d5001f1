import { raw } from 'hono/html';
import type { PublicPeer } from '../../../schemas/peers.ts';
import { CopyButton } from '../../shared/copy.tsx';
import type { Form, FormErrors } from '../../shared/forms.ts';
import { ago, Csrf, formatBytes, Layout, type PageMeta } from '../../shared/layout.tsx';
import { peerValues } from '../input.ts';
import { PeerForm } from '../parts/peer-form.tsx';
import { PeerStatus } from '../parts/status.tsx';
import { TrafficChart } from '../parts/traffic-chart.tsx';

/** The client configuration: a QR code and a download, or why the server cannot write it. */
function ClientConfig({
  peer,
  qr,
  qrProblem,
  configText,
}: {
  peer: PublicPeer;
  qr?: string | undefined;
  qrProblem?: string | undefined;
  configText?: string | undefined;
}) {
  if (!qr) return <p class="muted">{qrProblem}</p>;
  return (
    <>
      <figure class="qr" role="img" aria-label={`QR code of the WireGuard configuration for ${peer.name}`}>
        {raw(qr)}
      </figure>
      <p>
        <a class="button" href={`/peers/${peer.id}/config`} download>
          Download config
        </a>
      </p>
      <p class="hint">Contains the peer's private key. Scan with the WireGuard app or import the file.</p>
      {configText ? (
        <details class="config-text">
          <summary>Show the config as text</summary>
          <pre id="peer-config">{configText}</pre>
          <CopyButton target="peer-config" label="Copy config" />
        </details>
      ) : null}
    </>
  );
}

/** One peer: facts, client configuration, traffic, the edit form and delete. */
export function PeerPage(props: {
  meta: PageMeta;
  peer: PublicPeer;
  history: { points: { at: string; rx_bytes: number; tx_bytes: number }[]; interval_seconds: number };
  qr?: string | undefined;
  qrProblem?: string | undefined;
  configText?: string | undefined;
  edit?: { values: Form; errors: FormErrors } | undefined;
}) {
  const { meta: m, peer, history } = props;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>
          {peer.name} <PeerStatus p={peer} />
        </h1>
        <form method="post" action={`/peers/${peer.id}/toggle`} class="inline">
          <Csrf token={m.csrf} />
          <input type="hidden" name="enabled" value={peer.enabled ? '0' : '1'} />
          <button type="submit">{peer.enabled ? 'Disable' : 'Enable'}</button>
        </form>
      </div>
      <div class="grid">
        <section class="card" aria-labelledby="facts-h">
          <h2 id="facts-h">Details</h2>
          <dl class="facts">
            <dt>Address</dt>
            <dd class="mono">{peer.address}</dd>
            <dt>Public key</dt>
            <dd class="mono">{peer.public_key}</dd>
            <dt>Tunnel</dt>
            <dd>{peer.tunnel_mode === 'full' ? 'full (all traffic)' : `split: ${peer.allowed_ips.join(', ')}`}</dd>
            <dt>Tags</dt>
            <dd>{peer.tags.join(', ') || '—'}</dd>
            <dt>Expires</dt>
            <dd>{peer.expires_at ? `${peer.expires_at.slice(0, 16).replace('T', ' ')} UTC` : 'never'}</dd>
            <dt>Handshake</dt>
            <dd>{ago(peer.stats?.latest_handshake_at)}</dd>
            <dt>Traffic</dt>
            <dd>
              {peer.stats
                ? `${formatBytes(peer.stats.rx_bytes)} received, ${formatBytes(peer.stats.tx_bytes)} sent`
                : '—'}
            </dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="config-h">
          <h2 id="config-h">Client configuration</h2>
          <ClientConfig peer={peer} qr={props.qr} qrProblem={props.qrProblem} configText={props.configText} />
        </section>
      </div>
      <section class="card" aria-labelledby="traffic-h">
        <h2 id="traffic-h">Traffic</h2>
        <TrafficChart points={history.points} intervalSeconds={history.interval_seconds} />
      </section>
      <h2>Edit</h2>
      <PeerForm meta={m} peer={peer} values={props.edit?.values ?? peerValues(peer)} errors={props.edit?.errors} />
      <section class="card" aria-labelledby="delete-h">
        <h2 id="delete-h">Delete</h2>
        <p>The peer leaves the interface and every route ACL at once; the next page shows what that cuts.</p>
        <a class="button danger" href={`/peers/${peer.id}/delete`}>
          Delete {peer.name}…
        </a>
      </section>
    </Layout>
  );
}
