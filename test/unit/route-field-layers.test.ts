// Real: the route and policy zod schemas, the drizzle table, the source of each layer that handles a route
// field. Simulated: nothing. Issue 15 "one declaration per field": the zod schemas are the one source; this
// test walks their keys and fails when a layer forgets one, so adding a field (or a policy condition) without
// carrying it through every layer cannot pass CI. Exclusions are explicit and say why.
import { readFileSync } from 'node:fs';
import { getTableColumns } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { routeInput } from '../../src/dashboard/routes/input.ts';
import { routeValues } from '../../src/dashboard/routes/values.ts';
import { routes } from '../../src/db/schema/routes.ts';
import { GATECONTROL_FIELDS } from '../../src/policy/gatecontrol.ts';
import {
  CONDITION_TYPES,
  ConditionSchema,
  IDENTITY_CONDITIONS,
  PolicySchema,
  RateLimitSchema,
  RuleSchema,
  TimeConditionSchema,
} from '../../src/policy/schema.ts';
import { PoolMemberSchema } from '../../src/pool/schema.ts';
import { ConfigFileSchema } from '../../src/schemas/config-file.ts';
import { RouteFieldsSchema, RouteSchema } from '../../src/schemas/routes.ts';
import { fileField } from '../../src/services/config-file/desired.ts';
import { routeEntry } from '../../src/services/config-file/document.ts';
import { ROUTE_DEFAULTS } from '../../src/services/routes/resolve.ts';
import { routeRow } from '../helpers/factories.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const inputKeys = Object.keys(RouteFieldsSchema.shape);
const gateControl = new Set<string>(GATECONTROL_FIELDS);

/** API input fields that are not a column of the same name, and where they go instead. */
const NOT_A_COLUMN: Record<string, string> = {
  l4_listen_port: 'two columns, l4_listen_port_start and l4_listen_port_end',
  auth_password: 'write-only; stored as auth_password_hash (argon2id)',
  // The GateControl view: a view of the policy column (src/policy/gatecontrol.ts), no columns of its own.
  ...Object.fromEntries(GATECONTROL_FIELDS.map((k) => [k, 'the policy column, through the GateControl view'])),
};
/** Columns no API input writes, and why. */
const NOT_AN_INPUT: Record<string, string> = {
  id: 'assigned by the database',
  createdAt: 'set by the service',
  updatedAt: 'set by the service',
  gatewayPort: 'allocated by the route service (conflicts.ts)',
  l4ListenPortStart: 'from l4_listen_port',
  l4ListenPortEnd: 'from l4_listen_port',
  authPasswordHash: 'from auth_password',
};
/** Output fields that are not input fields (read-only or derived). */
const OUTPUT_ONLY = ['id', 'gateway_port', 'auth_password_set', 'policy_expressible', 'created_at', 'updated_at'];
/** Input fields the dashboard's route form does not offer, and why. */
const NOT_IN_DASHBOARD: Record<string, string> = {
  tls_names: 'wildcard names are managed on the route page (tls-names section), not in the main form',
  auth_password: 'write-only: the form has the field but never shows a value',
  policy: 'the policies page and the picker (issue 15, later): the form edits the GateControl view',
  policy_id: 'as policy',
};

describe('one declaration per route field', () => {
  it('every API input field is a column (or says where it goes), and every column comes from an input', () => {
    const columns = Object.keys(getTableColumns(routes));
    for (const key of inputKeys) {
      if (key in NOT_A_COLUMN) continue;
      expect(columns, `input field ${key} has no column ${camel(key)}`).toContain(camel(key));
    }
    const fromInput = new Set(inputKeys.filter((k) => !(k in NOT_A_COLUMN)).map(camel));
    for (const column of columns) {
      if (column in NOT_AN_INPUT) continue;
      expect(fromInput.has(column), `column ${column} has no API input field`).toBe(true);
    }
    // And every column has its default in the one place defaults live.
    for (const column of columns.filter((c) => !['id', 'createdAt', 'updatedAt'].includes(c))) {
      expect(ROUTE_DEFAULTS, `ROUTE_DEFAULTS lacks ${column}`).toHaveProperty(column);
    }
  });

  it('every input field is in the public view, and every view field is an input or output-only', () => {
    const output = Object.keys(RouteSchema.shape);
    for (const key of inputKeys) {
      if (key === 'auth_password') continue; // write-only: the view says auth_password_set
      expect(output, `RouteSchema lacks ${key}`).toContain(key);
    }
    for (const key of output) {
      if (OUTPUT_ONLY.includes(key)) continue;
      expect(inputKeys, `RouteSchema has ${key}, which no input writes`).toContain(key);
    }
  });

  it('resolve maps every input field onto the draft (applyFields or the access module)', () => {
    const resolve = read('src/services/routes/resolve.ts');
    const access = read('src/services/routes/access.ts');
    for (const key of inputKeys) {
      if (key === 'auth_password') continue; // hashed by the create/update verbs before the transaction
      const handled =
        resolve.includes(`f.${key}`) ||
        (gateControl.has(key) ? access.includes('GATECONTROL_FIELDS') : access.includes(`f.${key}`));
      expect(handled, `resolve.ts/access.ts never read ${key}`).toBe(true);
    }
  });

  it('the dashboard form shows and reads back every field it offers', () => {
    const route = RouteSchema.parse({
      ...Object.fromEntries(Object.keys(RouteSchema.shape).map((k) => [k, null])),
      ...publicSample(),
    });
    const values = routeValues(route);
    const read = routeInput(values) as Record<string, unknown>;
    for (const key of inputKeys) {
      if (key in NOT_IN_DASHBOARD) continue;
      const shown =
        key in values ||
        Object.keys(values).some((v) => v.startsWith(`${key}.`)) ||
        FORM_NAMES[key]?.some((n) => n in values);
      expect(shown, `the form's values lack ${key}`).toBe(true);
      expect(read, `the form reader drops ${key}`).toHaveProperty(key);
    }
  });

  it('a route whose policy the form cannot show keeps it: the reader sends no GateControl field', () => {
    const values = { ...routeValues(RouteSchema.parse(publicSample())), policy_expressible: '0' };
    const read = routeInput(values) as Record<string, unknown>;
    for (const key of GATECONTROL_FIELDS) expect(read, key).not.toHaveProperty(key);
  });

  it('the snapshot compiler reads every column that shapes what Caddy does', () => {
    const snapshot = read('src/caddy/snapshot.ts') + read('src/caddy/route-auth.ts') + read('src/caddy/pool.ts');
    /** Columns that do not reach Caddy, and why. */
    const notInSnapshot: Record<string, string> = {
      type: 'read as route.type (checked below)',
      name: 'a label for people',
      createdAt: 'bookkeeping',
      updatedAt: 'bookkeeping',
      authMethod: 'the control plane checks logins (src/services/route-auth)',
      authPasswordHash: 'as authMethod',
      authSessionHours: 'as authMethod',
      authProviderId: 'as authMethod (the login page sends the browser to the provider)',
      authSsoDomain: 'as authMethod (the control plane sets and reads the SSO cookie)',
      wolEnabled: 'the gateway agent wakes hosts (src/sync)',
      wolMac: 'as wolEnabled',
      targetLanHost: 'the gateway agent dials it (src/sync)',
      targetLanPort: 'as targetLanHost',
    };
    for (const column of Object.keys(getTableColumns(routes))) {
      if (column in notInSnapshot) continue;
      expect(
        snapshot.includes(`route.${column}`) || snapshot.includes(`.${column}`),
        `snapshot.ts never reads ${column}`,
      ).toBe(true);
    }
  });
});

describe('one declaration per policy field', () => {
  const goConfig = read('caddy-module/policy/config.go');
  const keys = (schema: { shape: Record<string, unknown> }) => Object.keys(schema.shape);

  it('every key of a policy, rule, rate limit and condition is a JSON field of the data plane', () => {
    const all = [
      ...keys(PolicySchema),
      ...keys(RuleSchema),
      ...keys(RateLimitSchema),
      ...keys(TimeConditionSchema),
      'values',
      'not',
      'addresses', // snapshot only (peer and peer_tag)
      'name', // the shared policy's name, snapshot only
    ];
    for (const key of new Set(all)) {
      if (key === 'type') continue; // the condition's discriminator: Type string `json:"type"` below
      expect(goConfig, `caddy-module/policy/config.go has no json:"${key}"`).toMatch(new RegExp(`json:"${key}[,"]`));
    }
  });

  it('every condition type is parsed here, known to the data plane and documented', () => {
    const docs = read('docs/architecture.md') + read('docs/snapshot.md');
    expect(
      ConditionSchema.options
        .map((o) => (o as { shape: { type: { value: string } } }).shape?.type?.value ?? 'time')
        .sort(),
    ).toEqual([...CONDITION_TYPES].sort());
    for (const type of CONDITION_TYPES) {
      // Identity conditions never reach the data plane (compiled out; the verify endpoint checks them).
      if (!IDENTITY_CONDITIONS.includes(type))
        expect(goConfig, `the data plane lacks condition ${type}`).toContain(`"${type}"`);
      expect(docs, `docs do not describe condition ${type}`).toContain(`\`${type}\``);
    }
  });
});

/** API input fields the configuration file does not carry (src/schemas/config-file.ts), and why. */
const NOT_IN_CONFIG_FILE: Record<string, string> = {
  ...Object.fromEntries(GATECONTROL_FIELDS.map((k) => [k, 'the file carries the policy itself'])),
  auth_enabled: 'the file carries the policy itself (login in the policy)',
  auth_password: 'write-only; the file carries auth_password_hash (with --with-secrets)',
};

describe('the configuration file', () => {
  const fileRoute = ConfigFileSchema.shape.routes.unwrap().element;
  const fileKeys = Object.keys(fileRoute.shape);

  it('carries every route input field, ids as names (peer, gateway, policy, auth_provider, pool members)', () => {
    for (const key of inputKeys) {
      if (key in NOT_IN_CONFIG_FILE) continue;
      expect(fileKeys, `config file routes lack ${fileField(key)} (input ${key})`).toContain(fileField(key));
    }
    for (const key of fileKeys) expect(key, `config file route field ${key} is an id`).not.toMatch(/_id$/);
    const member = fileRoute.shape.pool.unwrap().unwrap().shape.members.element;
    expect(Object.keys(member.shape).sort()).toEqual(Object.keys(PoolMemberSchema.shape).map(fileField).sort());
  });

  it('exports every field a file route has (secrets with --with-secrets)', () => {
    const names = { peerName: new Map(), gatewayName: new Map(), policyName: new Map(), providerName: new Map() };
    const entry = routeEntry(routeRow({ id: 1 }), names, [], true);
    expect(Object.keys(entry).sort()).toEqual(fileKeys.sort());
    const bound = routeEntry(
      routeRow({ id: 1, authMethod: 'oidc', authProviderId: 12_007 }),
      { ...names, providerName: new Map([[12_007, 'Corp IdP']]) },
      [],
      false,
    );
    expect(bound.auth_provider).toBe('Corp IdP');
    const pooled = routeEntry(
      routeRow({
        id: 1,
        targetKind: 'gateway',
        gatewayId: 2001,
        pool: {
          mode: 'balance',
          balance: 'client_hash',
          members: [{ gateway_id: 2002, target_lan_host: '192.168.5.2', target_lan_port: 80 }],
          healthy_after: 3,
          check_interval_seconds: 7,
        },
      }),
      {
        ...names,
        gatewayName: new Map([
          [2001, 'home'],
          [2002, 'office'],
        ]),
      },
      [],
      false,
    );
    expect(pooled.gateway).toBe('home');
    expect(pooled.pool).toEqual({
      mode: 'balance',
      balance: 'client_hash',
      members: [{ gateway: 'office', target_lan_host: '192.168.5.2', target_lan_port: 80 }],
      healthy_after: 3,
      check_interval_seconds: 7,
    });
  });
});

/** Form names that carry a field under another name (lists of rows). */
const FORM_NAMES: Record<string, string[]> = {
  custom_headers: ['header_name'],
  upstreams: ['upstream_host'],
  health_check: ['health_check_enabled'],
  ip_filter_rules: ['rule_value'],
  pool: ['pool_mode', 'pool_gateway_id'],
};

function publicSample() {
  const base = routeRow({ id: 1 });
  return {
    id: 1,
    type: base.type,
    name: 'r',
    enabled: true,
    domain: 'a.example.com',
    target_kind: 'direct',
    target_host: '10.0.0.1',
    target_port: 80,
    peer_id: null,
    gateway_id: null,
    target_lan_host: null,
    target_lan_port: null,
    gateway_port: null,
    backend_https: false,
    custom_headers: [],
    upstreams: [],
    lb_policy: 'round_robin',
    health_check: null,
    wol_enabled: false,
    wol_mac: null,
    l4_protocol: null,
    l4_listen_port: null,
    l4_tls_mode: null,
    proxy_protocol: 'none',
    pool: null,
    policy_id: null,
    policy: { rules: [], default: 'allow' },
    policy_expressible: true,
    acl_enabled: false,
    acl_peers: [],
    ip_filter_enabled: false,
    ip_filter_mode: 'whitelist',
    ip_filter_rules: [],
    tls_names: [],
    rate_limit_enabled: false,
    rate_limit_requests: 100,
    rate_limit_window: '1m',
    auth_enabled: false,
    auth_method: 'password',
    auth_password_set: false,
    basic_auth_enabled: false,
    auth_session_hours: 24,
    auth_provider_id: null,
    auth_sso_domain: null,
    created_at: new Date(0).toISOString(),
    updated_at: new Date(0).toISOString(),
  };
}
