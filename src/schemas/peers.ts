import { isIP, isIPv4, isIPv6 } from 'node:net';
import { formatIPv4Cidr, parseIPv4Cidr } from '@gatehouse/protocol';
import { z } from '@hono/zod-openapi';
import { isWireGuardKey } from '../wireguard/keys.ts';
import { NameSchema, PaginationQuery, PaginationSchema, Timestamp } from './common.ts';

/**
 * Peer schemas, defined once for the API, the dashboard forms and OpenAPI. Checks that need the running
 * configuration (address inside the VPN subnet, not the server's) live in the service and fail with the
 * same field-level ValidationError.
 */

export const PeerNameSchema = NameSchema.openapi({ example: 'alice-laptop' });

export const WireGuardKeySchema = z
  .string()
  .trim()
  .refine(isWireGuardKey, 'must be a WireGuard key: base64 of exactly 32 bytes (44 characters ending in =)')
  .openapi({ example: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=' });

const TagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,31}$/, 'tags are 1–32 characters: a–z, 0–9 and _.- (starting with a letter or digit)');

const TagsSchema = z
  .array(TagSchema)
  .max(32, 'at most 32 tags')
  .transform((tags) => [...new Set(tags)])
  .openapi({ example: ['staff', 'laptops'] });

const DnsSchema = z
  .array(
    z
      .string()
      .trim()
      .refine((v) => isIP(v) !== 0, 'must be an IP address'),
  )
  .max(4, 'at most 4 DNS servers')
  .openapi({ example: ['1.1.1.1'] });

/** A CIDR as WireGuard's AllowedIPs take it; host bits must be zero so the list means what it says. */
export function cidrProblem(value: string): string | undefined {
  const [ip, bits] = value.split('/');
  if (ip && isIPv4(ip)) {
    const parsed = parseIPv4Cidr(value);
    if (!parsed) return 'must be a CIDR such as 192.168.1.0/24';
    if (parsed.network !== parsed.address) return `has host bits set; did you mean ${formatIPv4Cidr(parsed)}?`;
    return undefined;
  }
  if (ip && isIPv6(ip) && bits !== undefined && /^\d{1,3}$/.test(bits) && Number(bits) <= 128) return undefined;
  return 'must be a CIDR such as 192.168.1.0/24 or fd00::/64';
}

const AllowedIpsSchema = z
  .array(
    z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const problem = cidrProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
        else if (/\/0$/.test(v))
          ctx.addIssue({ code: 'custom', message: `${v} is everything: set tunnel_mode to "full" instead` });
      }),
  )
  .max(64, 'at most 64 networks')
  .openapi({
    description:
      'The split tunnel: networks the client sends through the tunnel besides the VPN subnet (always included), e.g. the lan_networks of gateways it uses. Ignored by a full-tunnel config, kept for a return to split.',
    example: ['192.168.1.0/24'],
  });

export const TunnelModeSchema = z.enum(['split', 'full'], { message: 'must be "split" or "full"' }).openapi({
  description:
    'split (default; always for gateways): only the VPN subnet and allowed_ips go through the tunnel. full: all IPv4 traffic (AllowedIPs 0.0.0.0/0), forwarded and masqueraded by the server.',
});

const KeepaliveSchema = z
  .number()
  .int('must be a whole number of seconds')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535')
  .nullable()
  .openapi({ description: 'Seconds; 0 or null turns it off. Gateways default to 25 (they sit behind NAT).' });

const ExpirySchema = z
  .string()
  .datetime({ message: 'must be an ISO-8601 date-time, e.g. 2027-01-01T00:00:00Z', offset: true })
  .nullable();

const AddressSchema = z
  .string()
  .trim()
  .refine(isIPv4, 'must be an IPv4 address')
  .openapi({ description: 'Tunnel address; allocated from the VPN subnet when omitted', example: '10.8.0.2' });

export const CreatePeerSchema = z
  .strictObject({
    name: PeerNameSchema,
    public_key: WireGuardKeySchema.optional().openapi({
      description: 'Bring your own key pair; when omitted the server generates one (and can hand out the config)',
    }),
    preshared_key: WireGuardKeySchema.nullable().optional().openapi({
      description: 'Omitted: generated. null: none.',
    }),
    address: AddressSchema.optional(),
    dns: DnsSchema.optional(),
    allowed_ips: AllowedIpsSchema.optional(),
    tunnel_mode: TunnelModeSchema.optional().openapi({ description: 'Default split' }),
    persistent_keepalive: KeepaliveSchema.optional(),
    enabled: z.boolean().default(true),
    expires_at: ExpirySchema.optional(),
    tags: TagsSchema.default([]),
    is_gateway: z.boolean().default(false),
  })
  .openapi('CreatePeer');

export const UpdatePeerSchema = z
  .strictObject({
    name: PeerNameSchema.optional(),
    public_key: WireGuardKeySchema.optional().openapi({
      description: 'Replaces the key pair; a stored private key is dropped',
    }),
    preshared_key: WireGuardKeySchema.nullable().optional(),
    address: AddressSchema.optional(),
    dns: DnsSchema.optional(),
    allowed_ips: AllowedIpsSchema.optional(),
    tunnel_mode: TunnelModeSchema.optional(),
    persistent_keepalive: KeepaliveSchema.optional(),
    enabled: z.boolean().optional(),
    expires_at: ExpirySchema.optional(),
    tags: TagsSchema.optional(),
    is_gateway: z.boolean().optional(),
  })
  .openapi('UpdatePeer');

export const PeerStatsSchema = z
  .object({
    latest_handshake_at: Timestamp.nullable(),
    handshake_age_seconds: z.number().int().nullable(),
    rx_bytes: z.number().int(),
    tx_bytes: z.number().int(),
    endpoint: z.string().nullable(),
    /** A handshake within the last 3 minutes (WireGuard rekeys every 2). */
    online: z.boolean(),
    sampled_at: Timestamp,
  })
  .openapi('PeerStats');

export const PeerSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    public_key: z.string(),
    /** True when the server holds the private key, i.e. GET /peers/{id}/config gives a complete file. */
    has_private_key: z.boolean(),
    has_preshared_key: z.boolean(),
    address: z.string(),
    dns: z.array(z.string()),
    allowed_ips: z
      .array(z.string())
      .openapi({ description: 'The split tunnel networks, VPN subnet first (a full tunnel routes 0.0.0.0/0)' }),
    tunnel_mode: z.enum(['split', 'full']),
    persistent_keepalive: z.number().int().nullable(),
    enabled: z.boolean(),
    expires_at: Timestamp.nullable(),
    tags: z.array(z.string()),
    is_gateway: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    stats: PeerStatsSchema.nullable().openapi({
      description: 'null while WireGuard is not running or has not seen the peer',
    }),
  })
  .openapi('Peer');

export const PeerListQuerySchema = z.object({
  tag: TagSchema.optional().openapi({ param: { name: 'tag', in: 'query' } }),
  enabled: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((v) => v === 'true')
    .optional()
    .openapi({ param: { name: 'enabled', in: 'query' }, type: 'string', enum: ['true', 'false'] }),
  q: z
    .string()
    .trim()
    .max(64)
    .optional()
    .openapi({ param: { name: 'q', in: 'query' }, description: 'Part of the name' }),
  ...PaginationQuery,
});

export const PeerListSchema = z
  .object({
    data: z.array(PeerSchema),
    pagination: PaginationSchema,
  })
  .openapi('PeerList');

export const PeerHistorySchema = z
  .object({
    peer_id: z.number().int(),
    interval_seconds: z.number().int(),
    current: PeerStatsSchema.nullable(),
    points: z.array(
      z.object({
        at: Timestamp,
        rx_bytes: z.number().openapi({ description: 'Received in this interval' }),
        tx_bytes: z.number().openapi({ description: 'Sent in this interval' }),
        latest_handshake_at: Timestamp.nullable(),
      }),
    ),
  })
  .openapi('PeerHistory');

export const QrQuerySchema = z.object({
  format: z
    .enum(['svg', 'png'], { message: 'must be svg or png' })
    .default('svg')
    .openapi({ param: { name: 'format', in: 'query' } }),
});

export type CreatePeerInput = z.infer<typeof CreatePeerSchema>;
export type UpdatePeerInput = z.infer<typeof UpdatePeerSchema>;
export type PeerListQuery = z.infer<typeof PeerListQuerySchema>;
export type PublicPeer = z.infer<typeof PeerSchema>;
export type PublicPeerStats = z.infer<typeof PeerStatsSchema>;
