import type { PublicGateway } from '../../../schemas/gateways.ts';
import { type Form, type FormErrors, str } from '../../shared/forms.ts';
import { Csrf, describedBy, ErrorSummary, FieldError, type PageMeta, TextField } from '../../shared/layout.tsx';

/** Create a gateway (with a new peer for it, by default) or edit one. */
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
