import type { PublicPeer } from '../../schemas/peers.ts';
import { type Form, list, str } from '../shared/forms.ts';

export const PEER_FIELDS = ['name', 'tags', 'expires_at', 'tunnel_mode', 'allowed_ips', 'dns'] as const;

/** The form's values as the shared schema's input: tags and networks as lists, the expiry in UTC. */
export function peerInput(form: Form) {
  const mode = str(form, 'tunnel_mode');
  const networks = str(form, 'allowed_ips')
    .split(/[\s,]+/)
    .filter(Boolean);
  const expiry = str(form, 'expires_at');
  const dns = str(form, 'dns')
    .split(/[\s,]+/)
    .filter(Boolean);
  return {
    name: str(form, 'name'),
    tags: str(form, 'tags')
      .split(/[\s,]+/)
      .filter(Boolean),
    // datetime-local has no zone; the label says UTC.
    expires_at: expiry ? (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(expiry) ? `${expiry}:00Z` : expiry) : null,
    // Anything but the two choices goes to the schema as typed, which names the field.
    tunnel_mode: mode === '' ? 'split' : mode,
    allowed_ips: networks,
    ...(dns.length ? { dns } : {}),
    enabled: list(form, 'enabled').length ? list(form, 'enabled').includes('1') : true,
  };
}

/** A stored peer as form values. */
export const peerValues = (p: PublicPeer): Form => ({
  name: p.name,
  tags: p.tags.join(', '),
  expires_at: p.expires_at ?? '',
  dns: p.dns.join(', '),
  tunnel_mode: p.tunnel_mode,
  // The VPN subnet is always in the list; the form shows only what the admin chose.
  allowed_ips: p.allowed_ips.slice(1).join('\n'),
});
