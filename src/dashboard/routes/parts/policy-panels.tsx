import { GATECONTROL_OFF } from '../../../policy/gatecontrol.ts';
import { Check, Select } from '../../shared/controls.tsx';
import { type Form, list, str } from '../../shared/forms.ts';
import { FieldError, TextField } from '../../shared/layout.tsx';
import { PolicyPanel } from '../../shared/policy-panel.tsx';
import type { RouteFormOptions } from '../values.ts';
import { RuleRow } from './rule-row.tsx';

type PanelProps = { v: Form; e: Record<string, string> };
const on = (v: Form, key: string) => list(v, key).includes('1');

/**
 * Shown instead of the access panels when the route's policy is shared or has rules the GateControl view cannot
 * show (docs/architecture.md "GateControl compatibility"); the form then leaves the policy as it is.
 */
export function PolicyNote({ v }: { v: Form }) {
  const shared = str(v, 'policy_id');
  return (
    <section class="panel" aria-labelledby="policy-note">
      <h2 id="policy-note">Access policy</h2>
      <input type="hidden" name="policy_expressible" value="0" />
      <p>
        {shared ? (
          <>
            This route uses the shared policy <a href={`/policies/${shared}`}>#{shared}</a>.
          </>
        ) : (
          <>This route uses a policy with rules (allow rules, time windows, …) that these panels cannot show.</>
        )}{' '}
        Saving this form keeps it unchanged; change it on the policy or through the API (<code>policy</code>,{' '}
        <code>policy_id</code>). The login method and password below still say how a login works where the policy asks
        for one.
      </p>
    </section>
  );
}

/**
 * Which policy decides: one of the shared policies (/policies), or the route's own rules (the panels below, or
 * the note when they cannot show them). Choosing "own" on a route that used a shared policy starts from a copy
 * of it.
 */
export function PolicyPicker({ v, e, options }: PanelProps & { options: RouteFormOptions }) {
  const chosen = str(v, 'policy_choice');
  return (
    <section class="panel" aria-labelledby="policy-picker-h">
      <h2 id="policy-picker-h">Access policy</h2>
      <input type="hidden" name="policy_id" value={str(v, 'policy_id')} />
      <div class="field">
        <label for="policy_choice">Who may connect is decided by</label>
        <select id="policy_choice" name="policy_choice" aria-describedby="policy_choice-hint">
          <option value="" selected={chosen === ''}>
            This route’s own rules
          </option>
          {options.policies.map((p) => (
            <option value={String(p.id)} selected={chosen === String(p.id)}>
              Shared policy: {p.name}
            </option>
          ))}
        </select>
        <p class="hint" id="policy_choice-hint">
          Shared policies are edited on the <a href="/policies">Policies</a> page and apply to every route that uses
          them. Leaving one gives this route a copy of its rules.
        </p>
        <FieldError id="policy_choice" error={e.policy_id} />
      </div>
    </section>
  );
}

/** Who may connect: chosen peers, or every peer with a tag. */
export function AclPanel({ v, e, options }: PanelProps & { options: RouteFormOptions }) {
  const acl = new Set(list(v, 'acl_peers'));
  const tags = [...new Set(options.peers.flatMap((p) => p.tags))].sort();
  return (
    <PolicyPanel
      legend="Peer access control"
      toggle="acl_enabled"
      toggleLabel="Only selected peers may connect"
      on={on(v, 'acl_enabled')}
    >
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
    </PolicyPanel>
  );
}

/** Client IP, network or country rules; two blank rows so rules can be added without JavaScript. */
export function IpFilterPanel({ v, e }: PanelProps) {
  const types = list(v, 'rule_type');
  const rules = list(v, 'rule_value')
    .map((value, i) => ({ type: types[i] ?? 'ip', value }))
    .filter((r) => r.value.trim() !== '');
  // Empty rows are ignored when the form is read.
  const rows = [...rules, { type: 'ip', value: '' }, { type: 'ip', value: '' }];
  return (
    <PolicyPanel
      legend="IP filter"
      toggle="ip_filter_enabled"
      toggleLabel="Filter by client IP, network or country"
      on={on(v, 'ip_filter_enabled')}
    >
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
    </PolicyPanel>
  );
}

export function RateLimitPanel({ v, e }: PanelProps) {
  return (
    <PolicyPanel
      legend="Rate limit"
      toggle="rate_limit_enabled"
      toggleLabel="Limit requests (HTTP) or new connections (L4) per client IP"
      on={on(v, 'rate_limit_enabled')}
      bodyClass="cols"
    >
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
        value={str(v, 'rate_limit_window') || GATECONTROL_OFF.rate_limit_window}
        error={e.rate_limit_window}
        options={[
          ['1s', 'second'],
          ['1m', 'minute'],
          ['5m', '5 minutes'],
          ['1h', 'hour'],
        ]}
      />
    </PolicyPanel>
  );
}

/** HTTP routes only: a login page (shared password or route users with TOTP) before the site. */
export function RouteLoginPanel({
  v,
  e,
  passwordSet,
  providers,
}: PanelProps & { passwordSet: boolean; providers: { id: number; name: string }[] }) {
  return (
    <PolicyPanel
      legend="Route login"
      toggle="auth_enabled"
      toggleLabel="Ask for a password before the site (login page)"
      on={on(v, 'auth_enabled')}
      class="http-only"
      bodyClass="cols"
    >
      <Select
        name="auth_method"
        label="Method"
        value={str(v, 'auth_method') || 'password'}
        error={e.auth_method}
        options={[
          ['password', 'Shared password'],
          ['password_totp', 'Users with password and TOTP'],
          ['oidc', 'Identity provider (OpenID Connect)'],
        ]}
      />
      <Select
        name="auth_provider_id"
        label="Identity provider"
        value={str(v, 'auth_provider_id')}
        error={e.auth_provider_id}
        hint="Method identity provider: register https://<this domain>/.gatehouse/oidc/callback at the provider"
        options={[['', 'None'], ...providers.map((p): [string, string] => [String(p.id), p.name])]}
      />
      <TextField
        name="auth_sso_domain"
        label="Single sign-on parent domain"
        value={str(v, 'auth_sso_domain')}
        error={e.auth_sso_domain}
        hint="Optional, identity provider only: e.g. example.com shares the login with routes under it"
      />
      <TextField
        name="auth_password"
        label="Shared password"
        type="password"
        autocomplete="new-password"
        error={e.auth_password}
        hint={passwordSet ? 'A password is set; leave empty to keep it' : 'At least 8 characters'}
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
    </PolicyPanel>
  );
}
