// The layer rule of the control plane (docs/architecture.md#layers), checked by `npm run lint:deps` and scripts/test-all.mjs.
// A module may import its own layer and the layers below it, never one above. No exceptions.

/** Lowest first. `paths` are regular expressions on paths relative to the repository root. */
const LAYERS = [
  // The wire protocol between server and agents and the IPv4 helper (zod only): the workspace package
  // packages/protocol (@gatehouse/protocol).
  { name: 'protocol', paths: ['^packages/protocol/'] },
  // Pure helpers: no I/O at import, no knowledge of the database or HTTP.
  {
    name: 'lib',
    paths: ['^src/logger\\.ts$', '^src/errors\\.ts$', '^src/config/', '^src/auth/', '^src/policy/', '^src/pool/'],
  },
  { name: 'db', paths: ['^src/db/'] },
  // Adapters to the host and the data plane: WireGuard, Caddy's admin API, static config, snapshot compiler.
  // src/host/: the machine itself (who holds a port, `gatehouse doctor`'s checks, the version).
  { name: 'adapters', paths: ['^src/wireguard/', '^src/caddy/', '^src/host/', '^src/oidc/'] },
  // zod schemas of the API (other than the wire protocol above).
  { name: 'schemas', paths: ['^src/schemas/'] },
  { name: 'services', paths: ['^src/services/', '^src/context\\.ts$'] },
  // The gateways' event streams (server side).
  { name: 'sync', paths: ['^src/sync/'] },
  // What every HTTP app shares: request context, authentication middleware, the error mapping, AppDeps.
  { name: 'http', paths: ['^src/http/'] },
  // The HTTP apps; siblings, none imports another.
  { name: 'apps', paths: ['^src/api/', '^src/dashboard/', '^src/route-auth/'] },
  { name: 'composition', paths: ['^src/app\\.ts$', '^src/server\\.ts$'] },
  { name: 'cli', paths: ['^src/cli\\.ts$'] },
];
const APPS = ['api', 'dashboard', 'route-auth'];
// The LAN agent: the protocol only; of the server, only the CLI starts it.
const AGENT = ['^packages/agent/'];

const either = (paths) => `(${paths.join('|')})`;
const layered = LAYERS.flatMap((l) => l.paths).concat(AGENT);

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer.name}`,
      comment: `${layer.name} may not import a layer above it (${LAYERS.slice(i + 1)
        .map((l) => l.name)
        .join(', ')}); see docs/architecture.md#layers`,
      severity: 'error',
      from: { path: either(layer.paths) },
      to: { path: either(LAYERS.slice(i + 1).flatMap((l) => l.paths)) },
    })),
    ...APPS.map((app) => ({
      name: `app-${app}-sibling`,
      comment: `the ${app} app may not import another HTTP app; shared parts go to src/http, composition to src/app.ts`,
      severity: 'error',
      from: { path: `^src/${app}/` },
      to: { path: `^src/(${APPS.filter((a) => a !== app).join('|')})/` },
    })),
    {
      name: 'agent-alone',
      comment: 'the LAN agent depends on the wire protocol only (it installs without the server)',
      severity: 'error',
      from: { path: either(AGENT) },
      to: { path: '^(src|packages)/', pathNot: either([...AGENT, ...LAYERS[0].paths]) },
    },
    {
      name: 'agent-started-by-cli',
      comment: 'of the server, only the CLI starts the agent',
      severity: 'error',
      from: { path: '^src/', pathNot: either(['^src/cli\\.ts$', ...AGENT]) },
      to: { path: either(AGENT) },
    },
    {
      name: 'layer-unknown',
      comment: 'every module belongs to a layer: add its folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: either(layered) },
      to: {},
    },
    {
      name: 'layer-unknown-target',
      comment: 'every module belongs to a layer: add its folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: either(layered) },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'a module nothing imports and that imports nothing is dead code',
      severity: 'error',
      from: { orphan: true, pathNot: '\\.d\\.ts$' },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Files served to the browser as they are; no server module imports them.
    exclude: { path: '(^src/dashboard/assets/|^packages/[^/]+/dist/)' },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type from an upper layer couples just as much.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['gatehouse-source', 'import', 'require', 'node', 'default'],
    },
  },
};
