import { Check, Radio, Select } from '../../shared/controls.tsx';
import { type Form, list, str } from '../../shared/forms.ts';
import { TextField } from '../../shared/layout.tsx';
import type { RouteFormOptions } from '../values.ts';

/** Step 1 of the route form: HTTP or L4, the name, on or off. */
export function TypeFieldset({ v, e }: { v: Form; e: Record<string, string> }) {
  const type = str(v, 'type') || 'http';
  return (
    <fieldset>
      <legend>1 · Type</legend>
      <div class="choice" role="radiogroup" aria-label="Route type">
        <Radio name="type" value="http" current={type} id="type-http">
          HTTP(S) — a domain with automatic HTTPS
        </Radio>
        <Radio name="type" value="l4" current={type} id="type-l4">
          Layer 4 — a TCP/UDP port
        </Radio>
      </div>
      <div class="cols">
        <TextField
          name="name"
          label="Name"
          value={str(v, 'name')}
          error={e.name}
          hint="Optional; defaults to the domain or port"
        />
        <div class="field">
          <Check name="enabled" label="Enabled" on={list(v, 'enabled').includes('1')} />
        </div>
      </div>
    </fieldset>
  );
}

/** Step 2: where the traffic goes (a host, a peer, or a LAN host behind a gateway, optionally woken first). */
export function TargetFieldset({ v, e, options }: { v: Form; e: Record<string, string>; options: RouteFormOptions }) {
  const kind = str(v, 'target_kind') || 'direct';
  return (
    <fieldset>
      <legend>2 · Target</legend>
      <div class="choice" role="radiogroup" aria-label="Target kind">
        <Radio name="target_kind" value="direct" current={kind} id="kind-direct">
          Host reachable from the server
        </Radio>
        <Radio name="target_kind" value="peer" current={kind} id="kind-peer">
          A WireGuard peer
        </Radio>
        <Radio name="target_kind" value="gateway" current={kind} id="kind-gateway">
          A LAN host behind a gateway
        </Radio>
      </div>
      <div class="cols">
        <TextField
          class="kind-direct"
          name="target_host"
          label="Target host"
          value={str(v, 'target_host')}
          error={e.target_host}
          placeholder="10.8.0.5 or app.internal"
        />
        <Select
          class="kind-peer"
          name="peer_id"
          label="Peer"
          value={str(v, 'peer_id')}
          error={e.peer_id}
          options={[
            ['', 'Choose a peer…'],
            ...options.peers.map((p) => [String(p.id), `${p.name} (${p.address})`] as [string, string]),
          ]}
        />
        <TextField
          class="not-gateway"
          name="target_port"
          label="Target port"
          inputmode="numeric"
          value={str(v, 'target_port')}
          error={e.target_port}
        />
        <Select
          class="kind-gateway"
          name="gateway_id"
          label="Gateway"
          value={str(v, 'gateway_id')}
          error={e.gateway_id}
          hint={options.gateways.length ? undefined : 'No gateways yet: create one on the Gateways page.'}
          options={[
            ['', 'Choose a gateway…'],
            ...options.gateways.map((g) => [String(g.id), g.name] as [string, string]),
          ]}
        />
        <TextField
          class="kind-gateway"
          name="target_lan_host"
          label="LAN host"
          value={str(v, 'target_lan_host')}
          error={e.target_lan_host}
          placeholder="192.168.1.100"
        />
        <TextField
          class="kind-gateway"
          name="target_lan_port"
          label="LAN port"
          inputmode="numeric"
          value={str(v, 'target_lan_port')}
          error={e.target_lan_port}
        />
      </div>
      <div class="http-only">
        <Check name="backend_https" label="The target speaks HTTPS" on={list(v, 'backend_https').includes('1')} />
      </div>
      <div class="kind-gateway">
        <Check
          name="wol_enabled"
          label="Wake-on-LAN: wake the target when it does not answer"
          on={list(v, 'wol_enabled').includes('1')}
        />
        <TextField
          class="wol-mac"
          name="wol_mac"
          label="MAC address"
          value={str(v, 'wol_mac')}
          error={e.wol_mac ?? e.wol_enabled}
          placeholder="aa:bb:cc:dd:ee:ff"
        />
      </div>
    </fieldset>
  );
}
