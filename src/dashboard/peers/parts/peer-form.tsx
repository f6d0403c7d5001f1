import type { PublicPeer } from '../../../schemas/peers.ts';
import { type Form, type FormErrors, str } from '../../shared/forms.ts';
import { Csrf, describedBy, ErrorSummary, FieldError, type PageMeta, TextField } from '../../shared/layout.tsx';

/** Create or edit a peer: name, tags, expiry, DNS, and full or split tunnel. */
export function PeerForm({
  meta: m,
  peer,
  values,
  errors,
}: {
  meta: PageMeta;
  peer?: PublicPeer;
  values: Form;
  errors?: FormErrors;
}) {
  const e = errors?.fields ?? {};
  const split = str(values, 'tunnel_mode') !== 'full';
  return (
    <form method="post" action={peer ? `/peers/${peer.id}` : '/peers'} class="card" novalidate>
      <Csrf token={m.csrf} />
      <ErrorSummary summary={errors?.summary} />
      <div class="cols">
        <TextField
          name="name"
          label="Name"
          value={str(values, 'name')}
          error={e.name}
          required
          hint="e.g. alice-laptop"
        />
        <TextField
          name="tags"
          label="Tags"
          value={str(values, 'tags')}
          error={e.tags}
          hint="Groups for route ACLs, separated by commas"
        />
        <TextField
          name="expires_at"
          label="Expires (UTC)"
          type="datetime-local"
          value={str(values, 'expires_at').slice(0, 16)}
          error={e.expires_at}
          hint="Leave empty for no expiry"
        />
        <TextField
          name="dns"
          label="DNS servers"
          value={str(values, 'dns')}
          error={e.dns}
          hint="Optional, e.g. 1.1.1.1"
        />
      </div>
      <fieldset>
        <legend>Tunnel mode</legend>
        <div class="choice">
          <label>
            <input type="radio" name="tunnel_mode" value="split" checked={split} /> Split tunnel (only these networks)
          </label>
          <label>
            <input type="radio" name="tunnel_mode" value="full" checked={!split} /> Full tunnel (all traffic)
          </label>
        </div>
        <FieldError id="tunnel_mode" error={e.tunnel_mode} />
        <div class={`field ${e.allowed_ips ? 'has-error' : ''}`}>
          <label for="allowed_ips">Networks for a split tunnel</label>
          <textarea
            id="allowed_ips"
            name="allowed_ips"
            aria-invalid={e.allowed_ips ? 'true' : undefined}
            aria-describedby={describedBy('allowed_ips', e.allowed_ips, true)}
          >
            {str(values, 'allowed_ips')}
          </textarea>
          <p class="hint" id="allowed_ips-hint">
            One CIDR per line, e.g. a gateway's LAN network 192.168.1.0/24. The VPN subnet is always included. A full
            tunnel sends all traffic out through this server.
          </p>
          <FieldError id="allowed_ips" error={e.allowed_ips} />
        </div>
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary">
          {peer ? 'Save peer' : 'Create peer'}
        </button>
        <a href={peer ? `/peers/${peer.id}` : '/peers'}>Cancel</a>
      </div>
    </form>
  );
}
