import type { PublicGateway } from '../schemas/gateways.ts';
import type { Form, FormErrors } from './forms.ts';
import { str } from './forms.ts';
import { ago, Badge, Csrf, describedBy, ErrorSummary, FieldError, type PageMeta, TextField } from './layout.tsx';

/** The gateways page's pieces: status cells, the token shown once, and the create/edit form. */
export const StatusCell = ({ g }: { g: PublicGateway }) =>
  g.online ? <Badge tone="ok">online</Badge> : <Badge tone={g.last_seen_at ? 'bad' : 'muted'}>offline</Badge>;
export const SeenCell = ({ g }: { g: PublicGateway }) => <>{g.online ? 'now' : ago(g.last_seen_at)}</>;
export const ConfigCell = ({ g }: { g: PublicGateway }) => (
  <>
    {g.applied_version ?? '—'} / {g.current_version}{' '}
    {g.drift ? <Badge tone={g.online ? 'warn' : 'muted'}>behind</Badge> : <Badge tone="ok">current</Badge>}
  </>
);
export const HealthCell = ({ g }: { g: PublicGateway }) => {
  const failed = g.listeners.filter((l) => l.state === 'failed').length;
  const down = g.targets.filter((t) => !t.reachable).length;
  if (!g.listeners.length && !g.targets.length) return <span class="muted">no routes reported</span>;
  return failed || down ? (
    <Badge tone="bad">
      {failed} listener(s) failed, {down} target(s) down
    </Badge>
  ) : (
    <Badge tone="ok">
      {g.listeners.length} listening, {g.targets.length} reachable
    </Badge>
  );
};

export function TokenOnce({
  created,
}: {
  created?: { name: string; command: string; peerId: number | null } | undefined;
}) {
  if (!created) return null;
  return (
    <div class="once" role="status">
      <p>
        <strong>Agent token for “{created.name}”.</strong> Copy the command now: the token is shown only this once. Run
        it on a machine in the LAN{created.peerId ? ' that has the gateway peer’s WireGuard tunnel up' : ''}:
      </p>
      <pre class="command" id="agent-command">
        {created.command}
      </pre>
      {created.peerId ? (
        <p>
          The WireGuard config for the gateway machine: <a href={`/peers/${created.peerId}`}>its peer page</a>.
        </p>
      ) : null}
    </div>
  );
}

export function GatewayForm(props: {
  meta: PageMeta;
  gateway?: PublicGateway;
  values: Form;
  errors?: FormErrors | undefined;
  peers: { id: number; name: string; address: string }[];
}) {
  const e = props.errors?.fields ?? {};
  const peer = str(props.values, 'peer_id') || (props.gateway ? '' : 'new');
  return (
    <form method="post" action={props.gateway ? `/gateways/${props.gateway.id}` : '/gateways'} class="card" novalidate>
      <h2>{props.gateway ? 'Edit' : 'New gateway'}</h2>
      <Csrf token={props.meta.csrf} />
      <ErrorSummary summary={props.errors?.summary} />
      <div class="cols">
        <TextField name="name" label="Name" value={str(props.values, 'name')} error={e.name} hint="e.g. home-office" />
        <div class={`field ${e.peer_id ? 'has-error' : ''}`}>
          <label for="peer_id">WireGuard peer</label>
          <select id="peer_id" name="peer_id" aria-describedby={describedBy('peer_id', e.peer_id, true)}>
            {props.gateway ? null : (
              <option value="new" selected={peer === 'new'}>
                Create a new peer for it
              </option>
            )}
            <option value="" selected={peer === ''}>
              None yet
            </option>
            {props.peers.map((p) => (
              <option value={String(p.id)} selected={peer === String(p.id)}>
                {p.name} ({p.address})
              </option>
            ))}
          </select>
          <p class="hint" id="peer_id-hint">
            The gateway's tunnel: Caddy sends its traffic to this peer's address.
          </p>
          <FieldError id="peer_id" error={e.peer_id} />
        </div>
        <TextField
          name="lan_networks"
          label="LAN networks"
          value={str(props.values, 'lan_networks')}
          error={e.lan_networks}
          hint="CIDR, comma-separated, e.g. 192.168.2.0/24 (for Wake-on-LAN)"
        />
      </div>
      <button type="submit" class="primary">
        {props.gateway ? 'Save gateway' : 'Create gateway'}
      </button>
    </form>
  );
}
