import { Select } from '../../shared/controls.tsx';
import { type Form, list, str } from '../../shared/forms.ts';
import { FieldError, TextField } from '../../shared/layout.tsx';
import type { RouteFormOptions } from '../values.ts';
import { RowInput } from './backend-panels.tsx';

type Member = { gateway: string; host: string; port: string };

function MemberRow(props: Member & { n: string; e: Record<string, string>; options: RouteFormOptions }) {
  const { n, e } = props;
  const label = Number.isNaN(Number(n)) ? '' : ` ${Number(n) + 2}`;
  const id = `pool_gateway_id_${n}`;
  const gatewayError = e[`pool.members.${n}.gateway_id`];
  return (
    <div class="row rule-row pool-row">
      <div class={`field ${gatewayError ? 'has-error' : ''}`}>
        <label for={id}>{`Member${label} gateway`}</label>
        <select id={id} name="pool_gateway_id">
          <option value="">Choose a gateway…</option>
          {props.options.gateways.map((g) => (
            <option value={String(g.id)} selected={String(g.id) === props.gateway}>
              {g.name}
            </option>
          ))}
        </select>
        {gatewayError ? <p class="error">{gatewayError}</p> : null}
      </div>
      <RowInput
        id={`pool_lan_host_${n}`}
        name="pool_lan_host"
        label={`Member${label} LAN host`}
        value={props.host}
        placeholder="192.168.1.100"
        error={e[`pool.members.${n}.target_lan_host`]}
      />
      <RowInput
        id={`pool_lan_port_${n}`}
        name="pool_lan_port"
        label={`Member${label} LAN port`}
        value={props.port}
        inputmode="numeric"
        error={e[`pool.members.${n}.target_lan_port`]}
      />
      <button type="button" class="small" data-remove-row aria-label="Remove this member">
        Remove
      </button>
    </div>
  );
}

/**
 * Gateway targets: more gateways for the same service (src/pool/schema.ts). The gateway above is member 1; rows
 * here follow in priority order. No member rows: a single gateway.
 */
export function PoolPanel({ v, e, options }: { v: Form; e: Record<string, string>; options: RouteFormOptions }) {
  const hosts = list(v, 'pool_lan_host');
  const ports = list(v, 'pool_lan_port');
  const rows = list(v, 'pool_gateway_id')
    .map((gateway, i) => ({ gateway, host: hosts[i] ?? '', port: ports[i] ?? '' }))
    .filter((m) => m.gateway !== '' || m.host.trim() !== '' || m.port.trim() !== '');
  const blank = { gateway: '', host: '', port: '' };
  return (
    <fieldset class="panel kind-gateway">
      <legend>Gateway pool</legend>
      <p class="hint">
        More gateways that reach the same service: when one goes down, new connections go through the others.
      </p>
      <div id="pool-rows">
        {[...rows, blank].map((m, i) => (
          <MemberRow n={String(i)} {...m} e={e} options={options} />
        ))}
        <template>
          <MemberRow n="__n__" {...blank} e={{}} options={options} />
        </template>
      </div>
      <button type="button" class="small" data-add-rule="pool-rows">
        Add member
      </button>
      <FieldError id="pool" error={e.pool ?? e['pool.members']} />
      <div class="cols">
        <Select
          name="pool_mode"
          label="Mode"
          value={str(v, 'pool_mode') || 'failover'}
          error={e['pool.mode']}
          options={[
            ['failover', 'Failover (priority order)'],
            ['balance', 'Balance'],
          ]}
        />
        <Select
          name="pool_balance"
          label="Balance by"
          value={str(v, 'pool_balance') || 'round_robin'}
          error={e['pool.balance']}
          options={[
            ['round_robin', 'Round robin'],
            ['least_conn', 'Fewest connections'],
            ['client_hash', 'Same client, same gateway'],
          ]}
        />
        <TextField
          name="pool_healthy_after"
          label="Back after good checks"
          inputmode="numeric"
          value={str(v, 'pool_healthy_after') || '2'}
          error={e['pool.healthy_after']}
        />
        <TextField
          name="pool_check_interval_seconds"
          label="Check every (seconds)"
          inputmode="numeric"
          value={str(v, 'pool_check_interval_seconds') || '5'}
          error={e['pool.check_interval_seconds']}
        />
      </div>
    </fieldset>
  );
}
