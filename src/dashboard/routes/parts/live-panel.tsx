import type { LiveConnection, RecentClient } from '../../../schemas/connections.ts';
import { formatBytes } from '../../shared/layout.tsx';

/** What the route page's live panel shows; `unavailable` when the data plane could not be asked. */
export interface LiveView {
  type: 'http' | 'l4';
  connections: LiveConnection[];
  clients: RecentClient[];
  unavailable?: string | undefined;
}

/** How long since, in words a table cell can hold. */
function age(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

function Client({ client, country, peerId }: { client: string; country?: string | undefined; peerId: number | null }) {
  return (
    <>
      <td>{client}</td>
      <td>{country ?? '—'}</td>
      <td>{peerId === null ? '—' : <a href={`/peers/${peerId}`}>peer {peerId}</a>}</td>
    </>
  );
}

function Gateway({ id, name, member }: { id: number | null; name: string | null; member?: string | undefined }) {
  if (id !== null) return <td>{<a href={`/gateways/${id}`}>{name ?? `gateway ${id}`}</a>}</td>;
  return <td>{member ?? '—'}</td>;
}

function ConnectionsTable({ routeId, connections }: { routeId: number; connections: LiveConnection[] }) {
  if (connections.length === 0) return <p class="muted">No open connections.</p>;
  return (
    <div class="table-wrap">
      <table aria-label="Open connections">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Client</th>
            <th>Country</th>
            <th>Peer</th>
            <th>Gateway</th>
            <th>In</th>
            <th>Out</th>
            <th>Age</th>
            <th>Action</th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <tr data-connection={String(c.id)}>
              <td>{c.network === 'udp' ? 'UDP session' : 'TCP'}</td>
              <Client client={c.client} country={c.country} peerId={c.peer_id} />
              <Gateway id={c.gateway_id} name={c.gateway_name} member={c.member} />
              <td>{c.network === 'udp' ? '—' : formatBytes(c.bytes_in)}</td>
              <td>{c.network === 'udp' ? '—' : formatBytes(c.bytes_out)}</td>
              <td>{age(c.age_seconds)}</td>
              <td>
                <a class="button small danger" href={`/routes/${routeId}/connections/${c.id}/end`}>
                  End
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ClientsTable({ clients }: { clients: RecentClient[] }) {
  if (clients.length === 0) return <p class="muted">No requests since the data plane started.</p>;
  return (
    <div class="table-wrap">
      <table aria-label="Recent clients">
        <thead>
          <tr>
            <th>Client</th>
            <th>Country</th>
            <th>Peer</th>
            <th>Gateway</th>
            <th>Requests</th>
            <th>In</th>
            <th>Out</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {clients.map((c) => (
            <tr>
              <Client client={c.client} country={c.country} peerId={c.peer_id} />
              <Gateway id={c.gateway_id} name={c.gateway_name} member={c.member} />
              <td>{c.requests}</td>
              <td>{formatBytes(c.bytes_in)}</td>
              <td>{formatBytes(c.bytes_out)}</td>
              <td>
                <time datetime={c.last_seen_at}>{c.last_seen_at.replace('T', ' ').slice(0, 19)} UTC</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The panel's body: what the first render shows and what each poll replaces. */
export function LivePanelBody({ routeId, view }: { routeId: number; view: LiveView }) {
  if (view.unavailable) return <p class="muted">{view.unavailable}</p>;
  return view.type === 'l4' ? (
    <ConnectionsTable routeId={routeId} connections={view.connections} />
  ) : (
    <>
      <p class="hint">The last 100 distinct client addresses, most recent first.</p>
      <ClientsTable clients={view.clients} />
    </>
  );
}

/**
 * Open L4 connections and UDP sessions, or an HTTP route's recent clients, from the data plane; htmx replaces
 * the body every 5 s. Ending a connection goes through its confirm page (operators only: the role filter takes
 * the button away from viewers).
 */
export function LivePanel({ routeId, view }: { routeId: number; view: LiveView }) {
  return (
    <section class="card" aria-labelledby="live-h">
      <h2 id="live-h">{view.type === 'l4' ? 'Open connections' : 'Recent clients'}</h2>
      <div id="live-body" hx-get={`/routes/${routeId}/live`} hx-trigger="every 5s" hx-swap="innerHTML">
        <LivePanelBody routeId={routeId} view={view} />
      </div>
    </section>
  );
}
