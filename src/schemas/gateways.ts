import { isIPv4 } from 'node:net';
import { ListenerStatusSchema, TargetStatusSchema } from '@gatehouse/protocol';
import { z } from '@hono/zod-openapi';
import { NameSchema, Timestamp } from './common.ts';

const GatewayNameSchema = NameSchema.openapi({ example: 'home-office' });

const LanNetworkSchema = z
  .string()
  .trim()
  .refine((v) => {
    const [ip, bits] = v.split('/');
    return !!ip && isIPv4(ip) && /^\d{1,2}$/.test(bits ?? '') && Number(bits) <= 32;
  }, 'must be an IPv4 network in CIDR notation, e.g. 192.168.2.0/24');

const LanNetworksSchema = z
  .array(LanNetworkSchema)
  .max(32, 'at most 32 networks')
  .openapi({ example: ['192.168.2.0/24'] });

/** The writable fields, without defaults: an update must not fill in what its body leaves out. */
const GatewayFields = {
  name: GatewayNameSchema,
  peer_id: z.number().int().positive().nullable().optional().openapi({ description: "The gateway's WireGuard peer" }),
  lan_networks: LanNetworksSchema,
};

export const CreateGatewaySchema = z
  .strictObject({ ...GatewayFields, lan_networks: LanNetworksSchema.default([]) })
  .openapi('CreateGateway');

// Zod 4 applies a `.default()` even under `.partial()`, so this is built from the fields without defaults:
// a PATCH of the name alone used to reset lan_networks to [].
export const UpdateGatewaySchema = z
  .strictObject(GatewayFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
  .openapi('UpdateGateway');

export const GatewaySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    peer_id: z.number().int().nullable(),
    tunnel_ip: z.string().nullable(),
    lan_networks: z.array(z.string()),
    token_prefix: z.string().openapi({ example: 'gtw_Ab12Cd' }),
    online: z.boolean().openapi({ description: 'An agent holds the event stream open right now' }),
    last_seen_at: Timestamp.nullable(),
    handshake_age_seconds: z
      .number()
      .nullable()
      .openapi({ description: 'Seconds since the last WireGuard handshake; null if unknown' }),
    current_version: z.number().int(),
    applied_version: z.number().int().nullable(),
    drift: z.boolean().openapi({ description: 'The agent runs an older config than the current one' }),
    agent_version: z
      .string()
      .nullable()
      .openapi({ description: 'The release the agent announced when it last connected; null: none (before 0.2.0)' }),
    agent_protocol: z.number().int().nullable().openapi({ description: 'Its gateway protocol (1 or 2)' }),
    agent_outdated: z.boolean().openapi({
      description: 'The agent speaks an older protocol or runs an older release than this server ships: update it',
    }),
    listeners: z.array(ListenerStatusSchema),
    targets: z.array(TargetStatusSchema),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Gateway');

export const CreatedGatewaySchema = GatewaySchema.extend({
  token: z.string().openapi({ description: 'The agent token (`gtw_…`). Shown once; store it now.' }),
}).openapi('CreatedGateway');

export type CreateGatewayInput = z.infer<typeof CreateGatewaySchema>;
export type UpdateGatewayInput = z.infer<typeof UpdateGatewaySchema>;
export type PublicGateway = z.infer<typeof GatewaySchema>;
