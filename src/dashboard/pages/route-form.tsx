import type { PublicRoute } from '../../schemas/routes.ts';
import { type Form, type FormErrors, list, str } from '../forms.ts';
import { Csrf, describedBy, ErrorSummary, FieldError, type PageMeta, TextField } from '../layout.tsx';
import { Check, Radio, RuleRow, Select } from './route-form-controls.tsx';

export interface RouteFormOptions {
  peers: { id: number; name: string; address: string; enabled: boolean; tags: string[] }[];
  gateways: { id: number; name: string }[];
}

/** A stored route as form values (the same names as the API fields). */
export function routeValues(r: PublicRoute): Form {
  const yes = (b: boolean) => (b ? '1' : '0');
  return {
    type: r.type,
    name: r.name,
    enabled: yes(r.enabled),
    domain: r.domain ?? '',
    target_kind: r.target_kind,
    target_host: r.target_host ?? '',
    target_port: r.target_port?.toString() ?? '',
    peer_id: r.peer_id?.toString() ?? '',
    gateway_id: r.gateway_id?.toString() ?? '',
    target_lan_host: r.target_lan_host ?? '',
    target_lan_port: r.target_lan_port?.toString() ?? '',
    backend_https: yes(r.backend_https),
    wol_enabled: yes(r.wol_enabled),
    wol_mac: r.wol_mac ?? '',
    l4_protocol: r.l4_protocol ?? 'tcp',
    l4_listen_port: r.l4_listen_port ?? '',
    l4_tls_mode: r.l4_tls_mode ?? 'none',
    proxy_protocol: r.proxy_protocol,
    acl_enabled: yes(r.acl_enabled),
    acl_peers: r.acl_peers.map(String),
    ip_filter_enabled: yes(r.ip_filter_enabled),
    ip_filter_mode: r.ip_filter_mode,
    rule_type: r.ip_filter_rules.map((x) => x.type),
    rule_value: r.ip_filter_rules.map((x) => x.value),
    rate_limit_enabled: yes(r.rate_limit_enabled),
    rate_limit_requests: String(r.rate_limit_requests),
    rate_limit_window: r.rate_limit_window,
    auth_enabled: yes(r.auth_enabled),
    auth_method: r.auth_method,
    basic_auth_enabled: yes(r.basic_auth_enabled),
    auth_session_hours: String(r.auth_session_hours),
  };
}

export const NEW_ROUTE_VALUES: Form = {
  type: 'http',
  enabled: '1',
  target_kind: 'direct',
  l4_protocol: 'tcp',
  l4_tls_mode: 'none',
  proxy_protocol: 'none',
  ip_filter_mode: 'whitelist',
  rate_limit_requests: '100',
  rate_limit_window: '1m',
  auth_method: 'password',
  auth_session_hours: '24',
};

export function RouteForm(props: {
  meta: PageMeta;
  route?: PublicRoute | undefined;
  values: Form;
  errors?: FormErrors | undefined;
  options: RouteFormOptions;
}) {
  const { values: v, route, options } = props;
  const e = props.errors?.fields ?? {};
  const type = str(v, 'type') || 'http';
  const kind = str(v, 'target_kind') || 'direct';
  const types = list(v, 'rule_type');
  const ruleValues = list(v, 'rule_value');
  const rules = ruleValues.map((value, i) => ({ type: types[i] ?? 'ip', value })).filter((r) => r.value.trim() !== '');
  // Blank rows so rules can be added without JavaScript (empty rows are ignored).
  const rows = [...rules, { type: 'ip', value: '' }, { type: 'ip', value: '' }];
  const acl = new Set(list(v, 'acl_peers'));
  const tags = [...new Set(options.peers.flatMap((p) => p.tags))].sort();
  const suggestion = props.errors?.suggestedPort;
  return (
    <form method="post" action={route ? `/routes/${route.id}` : '/routes'} class="route-form" novalidate>
      <Csrf token={props.meta.csrf} />
      <ErrorSummary summary={props.errors?.summary} />

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

      <fieldset>
        <legend>3 · Listener</legend>
        <div class="cols">
          <Select
            class="l4-only"
            name="l4_protocol"
            label="Protocol"
            value={str(v, 'l4_protocol') || 'tcp'}
            error={e.l4_protocol}
            options={[
              ['tcp', 'TCP'],
              ['udp', 'UDP'],
            ]}
          />
          <div class={`field l4-only ${e.l4_listen_port ? 'has-error' : ''}`}>
            <label for="l4_listen_port">Listen port or range</label>
            <input
              id="l4_listen_port"
              name="l4_listen_port"
              value={str(v, 'l4_listen_port')}
              placeholder="3389 or 2000-2099"
              aria-invalid={e.l4_listen_port ? 'true' : undefined}
              aria-describedby={describedBy('l4_listen_port', e.l4_listen_port, true)}
            />
            <p class="hint" id="l4_listen_port-hint">
              On the public server; a range maps 1:1 onto the target ports.
            </p>
            <FieldError id="l4_listen_port" error={e.l4_listen_port} />
            {suggestion ? (
              <p class="suggest">
                <span>
                  Free nearby: {suggestion}
                  {props.errors?.conflictRouteId ? (
                    <>
                      {' '}
                      (taken by{' '}
                      <a href={`/routes/${props.errors.conflictRouteId}`}>route {props.errors.conflictRouteId}</a>)
                    </>
                  ) : null}
                </span>
                <button type="submit" name="use_port" value={suggestion} class="small" formnovalidate>
                  Use {suggestion}
                </button>
              </p>
            ) : null}
          </div>
          <Select
            class="l4-only"
            name="l4_tls_mode"
            label="TLS mode"
            value={str(v, 'l4_tls_mode') || 'none'}
            error={e.l4_tls_mode}
            options={[
              ['none', 'None (byte stream)'],
              ['passthrough', 'Passthrough (route by SNI)'],
              ['terminate', 'Terminate on the server'],
            ]}
          />
          <TextField
            class="needs-domain"
            name="domain"
            label="Domain"
            value={str(v, 'domain')}
            error={e.domain}
            placeholder="app.example.com"
            hint="HTTP routes, and L4 routes with TLS (the SNI name)"
          />
          <Select
            class="l4-only"
            name="proxy_protocol"
            label="PROXY protocol to the target"
            value={str(v, 'proxy_protocol') || 'none'}
            error={e.proxy_protocol}
            options={[
              ['none', 'Off'],
              ['v1', 'v1'],
              ['v2', 'v2'],
            ]}
          />
        </div>
      </fieldset>

      <fieldset class="panel">
        <legend>Peer access control</legend>
        <Check
          name="acl_enabled"
          label="Only selected peers may connect"
          on={list(v, 'acl_enabled').includes('1')}
          toggle
        />
        <div class="panel-body">
          {options.peers.length === 0 ? <p class="muted">No peers yet.</p> : null}
          <ul class="checklist" aria-label="Allowed peers">
            {options.peers.map((p) => (
              <li>
                <label class="check" for={`acl-${p.id}`}>
                  <input
                    type="checkbox"
                    id={`acl-${p.id}`}
                    name="acl_peers"
                    value={String(p.id)}
                    checked={acl.has(String(p.id))}
                  />{' '}
                  {p.name} <span class="muted mono">{p.address}</span>
                  {p.enabled ? null : <span class="muted"> (disabled)</span>}
                </label>
              </li>
            ))}
            {tags.map((t) => (
              <li>
                <label class="check" for={`acl-tag-${t}`}>
                  <input
                    type="checkbox"
                    id={`acl-tag-${t}`}
                    name="acl_peers"
                    value={`tag:${t}`}
                    checked={acl.has(`tag:${t}`)}
                  />{' '}
                  every peer tagged “{t}”
                </label>
              </li>
            ))}
          </ul>
          <FieldError id="acl_peers" error={e.acl_peers} />
        </div>
      </fieldset>

      <fieldset class="panel">
        <legend>IP filter</legend>
        <Check
          name="ip_filter_enabled"
          label="Filter by client IP, network or country"
          on={list(v, 'ip_filter_enabled').includes('1')}
          toggle
        />
        <div class="panel-body">
          <Select
            name="ip_filter_mode"
            label="Mode"
            value={str(v, 'ip_filter_mode') || 'whitelist'}
            options={[
              ['whitelist', 'Allow only matching clients (whitelist)'],
              ['blacklist', 'Block matching clients (blacklist)'],
            ]}
            hint="An empty whitelist allows nobody; an empty blacklist blocks nobody."
          />
          <div id="rule-rows">
            {rows.map((r, i) => (
              <RuleRow
                n={String(i)}
                type={r.type}
                value={r.value}
                error={e[`ip_filter_rules.${i}.value`] ?? e[`ip_filter_rules.${i}`]}
              />
            ))}
            <template>
              <RuleRow n="__n__" type="ip" value="" />
            </template>
          </div>
          <button type="button" class="small" data-add-rule="rule-rows">
            Add rule
          </button>
          <FieldError id="ip_filter_rules" error={e.ip_filter_rules} />
        </div>
      </fieldset>

      <fieldset class="panel">
        <legend>Rate limit</legend>
        <Check
          name="rate_limit_enabled"
          label="Limit requests (HTTP) or new connections (L4) per client IP"
          on={list(v, 'rate_limit_enabled').includes('1')}
          toggle
        />
        <div class="panel-body cols">
          <TextField
            name="rate_limit_requests"
            label="Requests"
            inputmode="numeric"
            value={str(v, 'rate_limit_requests')}
            error={e.rate_limit_requests}
            hint="1–100000"
          />
          <Select
            name="rate_limit_window"
            label="Per"
            value={str(v, 'rate_limit_window') || '1m'}
            error={e.rate_limit_window}
            options={[
              ['1s', 'second'],
              ['1m', 'minute'],
              ['5m', '5 minutes'],
              ['1h', 'hour'],
            ]}
          />
        </div>
      </fieldset>

      <fieldset class="panel http-only">
        <legend>Route login</legend>
        <Check
          name="auth_enabled"
          label="Ask for a password before the site (login page)"
          on={list(v, 'auth_enabled').includes('1')}
          toggle
        />
        <div class="panel-body cols">
          <Select
            name="auth_method"
            label="Method"
            value={str(v, 'auth_method') || 'password'}
            error={e.auth_method}
            options={[
              ['password', 'Shared password'],
              ['password_totp', 'Users with password and TOTP'],
            ]}
          />
          <TextField
            name="auth_password"
            label="Shared password"
            type="password"
            autocomplete="new-password"
            error={e.auth_password}
            hint={route?.auth_password_set ? 'A password is set; leave empty to keep it' : 'At least 8 characters'}
          />
          <TextField
            name="auth_session_hours"
            label="Session length (hours)"
            inputmode="numeric"
            value={str(v, 'auth_session_hours')}
            error={e.auth_session_hours}
          />
          <div class="field">
            <Check
              name="basic_auth_enabled"
              label="Also accept HTTP Basic auth (for scripts)"
              on={list(v, 'basic_auth_enabled').includes('1')}
            />
          </div>
        </div>
      </fieldset>

      <div class="form-actions">
        <button type="submit" class="primary">
          {route ? 'Save route' : 'Create route'}
        </button>
        <a href={route ? `/routes/${route.id}` : '/routes'}>Cancel</a>
      </div>
    </form>
  );
}
