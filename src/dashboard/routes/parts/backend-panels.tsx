import { Select } from '../../shared/controls.tsx';
import { type Form, list, str } from '../../shared/forms.ts';
import { FieldError, TextField } from '../../shared/layout.tsx';
import { PolicyPanel } from '../../shared/policy-panel.tsx';

type PanelProps = { v: Form; e: Record<string, string> };

/** A text input in a list row: its own id, label and error (the API's field name, e.g. `upstreams.1.port`). */
export function RowInput(props: {
  id: string;
  name: string;
  label: string;
  value: string;
  error?: string | undefined;
  placeholder?: string;
  inputmode?: 'numeric';
}) {
  return (
    <div class={`field ${props.error ? 'has-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        inputmode={props.inputmode}
        autocomplete="off"
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
      />
      <FieldError id={props.id} error={props.error} />
    </div>
  );
}

/** One custom header (name, value, request or response); `n` is the row's index, or `__n__` in the template. */
function HeaderRow(props: { n: string; name: string; value: string; direction: string; e: Record<string, string> }) {
  const { n, e } = props;
  const label = Number.isNaN(Number(n)) ? '' : ` ${Number(n) + 1}`;
  return (
    <div class="row rule-row header-row">
      <RowInput
        id={`header_name_${n}`}
        name="header_name"
        label={`Header${label} name`}
        value={props.name}
        placeholder="X-Forwarded-Prefix"
        error={e[`custom_headers.${n}.name`] ?? e[`custom_headers.${n}`]}
      />
      <RowInput
        id={`header_value_${n}`}
        name="header_value"
        label="Value"
        value={props.value}
        error={e[`custom_headers.${n}.value`]}
      />
      <div class="field">
        <label for={`header_direction_${n}`}>Set on</label>
        <select id={`header_direction_${n}`} name="header_direction">
          {[
            ['request', 'the request to the target'],
            ['response', 'the response to the client'],
          ].map(([val, l]) => (
            <option value={val} selected={val === props.direction}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <button type="button" class="small" data-remove-row aria-label="Remove this header">
        Remove
      </button>
    </div>
  );
}

/** One extra upstream (host and port) that shares the load with the target above. */
function UpstreamRow(props: { n: string; host: string; port: string; e: Record<string, string> }) {
  const { n, e } = props;
  const label = Number.isNaN(Number(n)) ? '' : ` ${Number(n) + 1}`;
  return (
    <div class="row rule-row upstream-row">
      <RowInput
        id={`upstream_host_${n}`}
        name="upstream_host"
        label={`Upstream${label} host`}
        value={props.host}
        placeholder="10.0.0.6"
        error={e[`upstreams.${n}.host`] ?? e[`upstreams.${n}`]}
      />
      <RowInput
        id={`upstream_port_${n}`}
        name="upstream_port"
        label="Port"
        value={props.port}
        inputmode="numeric"
        error={e[`upstreams.${n}.port`]}
      />
      <button type="button" class="small" data-remove-row aria-label="Remove this upstream">
        Remove
      </button>
    </div>
  );
}

/** HTTP only: headers set on the way in or out. Two blank rows so headers can be added without JavaScript. */
export function HeadersPanel({ v, e }: PanelProps) {
  const values = list(v, 'header_value');
  const directions = list(v, 'header_direction');
  const rows = list(v, 'header_name')
    .map((name, i) => ({ name, value: values[i] ?? '', direction: directions[i] ?? 'request' }))
    .filter((h) => h.name.trim() !== '' || h.value.trim() !== '');
  const blank = { name: '', value: '', direction: 'request' };
  return (
    <fieldset class="panel http-only">
      <legend>Custom headers</legend>
      <div id="header-rows">
        {[...rows, blank, blank].map((h, i) => (
          <HeaderRow n={String(i)} {...h} e={e} />
        ))}
        <template>
          <HeaderRow n="__n__" {...blank} e={{}} />
        </template>
      </div>
      <button type="button" class="small" data-add-rule="header-rows">
        Add header
      </button>
      <FieldError id="custom_headers" error={e.custom_headers} />
    </fieldset>
  );
}

/** HTTP with a direct target: more hosts behind the same route, how they share requests, and a health check. */
export function UpstreamsPanel({ v, e }: PanelProps) {
  const ports = list(v, 'upstream_port');
  const rows = list(v, 'upstream_host')
    .map((host, i) => ({ host, port: ports[i] ?? '' }))
    .filter((u) => u.host.trim() !== '' || u.port.trim() !== '');
  const blank = { host: '', port: '' };
  return (
    <fieldset class="panel http-only kind-direct">
      <legend>Load balancing</legend>
      <p class="hint">The target host above is the first upstream; the hosts here share its requests.</p>
      <div id="upstream-rows">
        {[...rows, blank].map((u, i) => (
          <UpstreamRow n={String(i)} {...u} e={e} />
        ))}
        <template>
          <UpstreamRow n="__n__" {...blank} e={{}} />
        </template>
      </div>
      <button type="button" class="small" data-add-rule="upstream-rows">
        Add upstream
      </button>
      <FieldError id="upstreams" error={e.upstreams} />
      <Select
        name="lb_policy"
        label="Policy"
        value={str(v, 'lb_policy') || 'round_robin'}
        error={e.lb_policy}
        options={[
          ['round_robin', 'Round robin'],
          ['least_conn', 'Fewest connections'],
          ['random', 'Random'],
          ['first', 'First available (failover)'],
          ['ip_hash', 'Same client, same upstream (IP hash)'],
        ]}
      />
    </fieldset>
  );
}

/** HTTP only: Caddy asks each upstream for a path and takes it out of rotation while it fails. */
export function HealthCheckPanel({ v, e }: PanelProps) {
  return (
    <PolicyPanel
      legend="Health check"
      toggle="health_check_enabled"
      toggleLabel="Check the upstreams and skip the ones that fail"
      on={list(v, 'health_check_enabled').includes('1')}
      class="http-only"
      bodyClass="cols"
    >
      <TextField
        name="health_check.path"
        id="health_check_path"
        label="Path"
        value={str(v, 'health_check.path')}
        error={e['health_check.path'] ?? e.health_check}
        placeholder="/healthz"
      />
      <TextField
        name="health_check.interval_seconds"
        id="health_check_interval"
        label="Every (seconds)"
        inputmode="numeric"
        value={str(v, 'health_check.interval_seconds')}
        error={e['health_check.interval_seconds']}
        hint="1–3600"
      />
      <TextField
        name="health_check.timeout_seconds"
        id="health_check_timeout"
        label="Timeout (seconds)"
        inputmode="numeric"
        value={str(v, 'health_check.timeout_seconds')}
        error={e['health_check.timeout_seconds']}
        hint="1–60"
      />
      <TextField
        name="health_check.expect_status"
        id="health_check_status"
        label="Expected status"
        inputmode="numeric"
        value={str(v, 'health_check.expect_status')}
        error={e['health_check.expect_status']}
        hint="Optional, e.g. 200; any 2xx when empty"
      />
    </PolicyPanel>
  );
}
