import { z } from '@hono/zod-openapi';
import { PolicySchema } from '../policy/schema.ts';
import { MAX_POOL_MEMBERS, PoolMemberSchema, PoolSchema } from '../pool/schema.ts';
import { NameSchema } from './common.ts';
import { CreateGatewaySchema } from './gateways.ts';
import { CreatePeerSchema, WireGuardKeySchema } from './peers.ts';
import { RouteFieldsSchema } from './routes.ts';
import { UpdateSettingsSchema } from './settings.ts';

/**
 * The configuration file (docs/config-file.md): the whole configuration as one document, version 1. Built from
 * the API's own schemas, so a field means the same in both; references are by name (a route names its peer,
 * gateway, pool member gateways, policy and identity provider), so a hand-written file applies to a fresh server. Identity providers
 * themselves stay out of the file (they hold a client secret): a route's `auth_provider` names one that exists. The JSON Schema in
 * docs/config-file.schema.json is generated from `configFileSchema(PolicySchema)`.
 */
export const CONFIG_FILE_VERSION = 1;

/** Limits for hostile files: bytes, YAML aliases, entries per section. */
export const CONFIG_FILE_LIMITS = { bytes: 8 * 1024 * 1024, aliases: 100, entries: 10_000 } as const;

const entries = <T extends z.ZodType>(item: T) =>
  z.array(item).max(CONFIG_FILE_LIMITS.entries, `at most ${CONFIG_FILE_LIMITS.entries} entries`).default([]);

/** Secret fields: only in a file exported with --with-secrets; absent on apply means "keep what is there". */
export const SECRET_FIELDS = ['private_key', 'preshared_key', 'auth_password_hash', 'password_hash', 'totp_secret'];

const PasswordHash = z
  .string()
  .max(1024)
  .regex(/^\$argon2id\$/, 'must be an argon2id hash ($argon2id$…), as exported with --with-secrets');
const TotpSecret = z
  .string()
  .max(128)
  .regex(/^[A-Z2-7]+=*$/, 'must be a base32 TOTP secret');

export const FilePeerSchema = CreatePeerSchema.extend({
  private_key: WireGuardKeySchema.optional().openapi({ description: 'Secret: only with --with-secrets' }),
}).openapi('ConfigFilePeer');

export const FileGatewaySchema = z
  .strictObject({
    name: NameSchema,
    peer: NameSchema.nullable().default(null).openapi({ description: "The gateway's WireGuard peer, by name" }),
    lan_networks: CreateGatewaySchema.shape.lan_networks,
  })
  .openapi('ConfigFileGateway');

export const FileRouteUserSchema = z.strictObject({
  username: z.string().trim().min(1).max(100),
  password_hash: PasswordHash.optional(),
  totp_secret: TotpSecret.nullable().optional(),
});

/**
 * A pool as the file writes it: members name their gateway (`gateway`) instead of `gateway_id`, which only
 * matches on the server that exported it. Everything else is the API's PoolSchema (src/pool/schema.ts).
 */
export const FilePoolMemberSchema = z
  .strictObject({
    gateway: NameSchema.openapi({ description: 'The member gateway, by name' }),
    ...PoolMemberSchema.omit({ gateway_id: true }).shape,
  })
  .openapi('ConfigFilePoolMember');
export const FilePoolSchema = z
  .strictObject({
    ...PoolSchema.shape,
    members: z
      .array(FilePoolMemberSchema)
      .min(1, 'a pool needs at least one member besides the route gateway')
      .max(MAX_POOL_MEMBERS - 1, `at most ${MAX_POOL_MEMBERS - 1} members besides the route gateway`),
  })
  .openapi('ConfigFilePool', {
    description:
      "Several gateways for one route; the route's own gateway is the first member, these follow in priority order",
  });

const routeFields = RouteFieldsSchema.omit({
  peer_id: true,
  gateway_id: true,
  policy_id: true,
  policy: true,
  acl_enabled: true,
  acl_peers: true,
  ip_filter_enabled: true,
  ip_filter_mode: true,
  ip_filter_rules: true,
  rate_limit_enabled: true,
  rate_limit_requests: true,
  rate_limit_window: true,
  auth_enabled: true,
  auth_password: true,
  auth_provider_id: true,
  pool: true,
}).shape;

/**
 * The document's schema around a policy schema: parsing takes policies as they come (`z.unknown()`; a policy's
 * peer conditions name peers, resolved and checked with PolicySchema once names are known — apply.ts), the
 * published JSON Schema shows PolicySchema itself.
 */
export function configFileSchema<P extends z.ZodType>(policy: P) {
  const route = z
    .strictObject({
      ...routeFields,
      name: z.string().trim().min(1, 'must not be empty').max(100),
      type: routeFields.type.unwrap(),
      peer: NameSchema.nullable().optional().openapi({ description: 'target_kind peer: the peer, by name' }),
      gateway: NameSchema.nullable().optional().openapi({ description: 'target_kind gateway: the gateway, by name' }),
      policy: z
        .union([NameSchema, policy])
        .optional()
        .openapi({ description: "A shared policy's name, or the route's own policy (peer conditions name peers)" }),
      pool: FilePoolSchema.nullable().optional().openapi({
        description:
          "target_kind gateway: more gateways for the route, members by gateway name; the route's gateway is member 0",
      }),
      auth_provider: NameSchema.nullable()
        .optional()
        .openapi({
          description:
            'auth_method oidc: the identity provider (for_routes), by name. Providers are not in the file (they hold a ' +
            'client secret): create one of this name on the server first',
        }),
      auth_password_hash: PasswordHash.nullable()
        .optional()
        .openapi({ description: 'Secret: only with --with-secrets' }),
      users: z.array(FileRouteUserSchema).max(1000).optional(),
    })
    .openapi('ConfigFileRoute');
  return z
    .strictObject({
      version: z.literal(CONFIG_FILE_VERSION, {
        message: `must be ${CONFIG_FILE_VERSION} (this server reads version 1)`,
      }),
      settings: z.strictObject(UpdateSettingsSchema.shape).default({}),
      policies: entries(z.strictObject({ name: NameSchema, description: z.string().max(1000).default(''), policy })),
      peers: entries(FilePeerSchema),
      gateways: entries(FileGatewaySchema),
      routes: entries(route),
    })
    .openapi('ConfigFile');
}

/** What the parser checks first; policies are checked in the second step (they need the peer names). */
export const ConfigFileSchema = configFileSchema(z.record(z.string(), z.unknown()));
export type ConfigFile = z.infer<typeof ConfigFileSchema>;
export type FileRoute = ConfigFile['routes'][number];
export type FilePeer = ConfigFile['peers'][number];

/** The published JSON Schema (docs/config-file.schema.json; test/unit/config-file-schema.test.ts keeps it equal). */
export function configFileJsonSchema() {
  return z.toJSONSchema(configFileSchema(PolicySchema), { io: 'input', unrepresentable: 'any' });
}

/** One line of a plan: a create, a change (each field's old and new value) or a delete. */
export const PlanEntrySchema = z.object({
  action: z.enum(['create', 'change', 'delete']),
  kind: z.enum(['settings', 'policy', 'peer', 'gateway', 'route']),
  name: z.string(),
  changes: z.array(z.object({ field: z.string(), old: z.unknown(), new: z.unknown() })),
});
export const PlanSchema = z
  .object({ entries: z.array(PlanEntrySchema), text: z.string(), unmapped: z.array(z.string()).optional() })
  .openapi('ConfigPlan');
export type PlanEntry = z.infer<typeof PlanEntrySchema>;

export const ConfigUploadSchema = z
  .object({
    content: z.string().openapi({ description: 'The file: YAML or JSON' }),
    filename: z.string().max(255).optional(),
    prune: z.boolean().default(false),
  })
  .openapi('ConfigUpload');
