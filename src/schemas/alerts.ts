import { z } from '@hono/zod-openapi';
import { NameSchema, Timestamp } from './common.ts';

export const ALERT_URL_MAX_LENGTH = 2048;

/**
 * Where an alert channel may send (SECURITY.md, "Alerts"): http or https only, no credentials in the URL (they
 * would be shown and logged: tokens have their own write-only field), no fragment, at most 2048 characters.
 * Any host the admin names may be reached, LAN addresses included (a self-hosted ntfy or Gotify is common).
 */
export function alertUrlProblem(raw: string): string | undefined {
  if (raw.length > ALERT_URL_MAX_LENGTH) return `must be at most ${ALERT_URL_MAX_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\s]/.test(raw)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://ntfy.example.com/alerts';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  if (url.username || url.password) return 'must not contain a user name or password; use the token field';
  if (url.hash) return 'must not contain a #fragment';
  if (!url.hostname) return 'must name a host';
  return undefined;
}

const AlertUrl = z
  .string({ message: 'must be a URL' })
  .trim()
  .superRefine((v, ctx) => {
    const problem = alertUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ example: 'https://ntfy.example.com/gatehouse' });

/** A secret entered once and never shown again: printable ASCII, so it can go into a header. */
const WriteOnlySecret = (what: string, min: number) =>
  z
    .string({ message: `${what} must be a string` })
    .min(min, `${what} must be at least ${min} characters`)
    .max(256, `${what} must be at most 256 characters`)
    .regex(/^[\x21-\x7e]+$/, `${what} may contain printable ASCII without spaces only`);

/** Text that ends up in a header or a subject line: no control characters (no header injection). */
const HeaderText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain line breaks or control characters');

const EmailAddress = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .email('must be an e-mail address such as ops@example.com');

export const WebhookConfigSchema = z.strictObject({
  kind: z.literal('webhook'),
  url: AlertUrl,
  /** Signs each body (`X-Gatehouse-Signature`); generated and shown once when absent on create. */
  secret: WriteOnlySecret('secret', 16).optional(),
});

export const NtfyConfigSchema = z.strictObject({
  kind: z.literal('ntfy'),
  /** The topic URL, e.g. https://ntfy.sh/my-topic. */
  url: AlertUrl,
  token: WriteOnlySecret('token', 1).optional(),
  title_prefix: HeaderText(60).default('Gatehouse'),
  priority: z.number().int().min(1, 'must be 1–5').max(5, 'must be 1–5').default(4),
  tags: z
    .array(z.string().regex(/^[a-z0-9_+-]{1,32}$/, 'tags are 1–32 of a-z 0-9 _+-'))
    .max(10, 'at most 10 tags')
    .default(['warning']),
});

export const GotifyConfigSchema = z.strictObject({
  kind: z.literal('gotify'),
  /** The server's base URL; messages go to `<url>/message`. */
  url: AlertUrl,
  token: WriteOnlySecret('token', 1).optional(),
  priority: z.number().int().min(0, 'must be 0–10').max(10, 'must be 0–10').default(8),
});

export const EmailConfigSchema = z.strictObject({
  kind: z.literal('email'),
  host: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(253, 'must be at most 253 characters')
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or an IP address'),
  port: z.number().int().min(1, 'must be 1–65535').max(65535, 'must be 1–65535').default(587),
  /** `tls`: TLS from the first byte (465); `starttls`: must upgrade (587); `none`: plain text (tests, LAN relays). */
  tls: z.enum(['tls', 'starttls', 'none'], { message: 'must be tls, starttls or none' }).default('starttls'),
  user: HeaderText(254).optional(),
  password: WriteOnlySecret('password', 1).optional(),
  from: EmailAddress,
  to: z.array(EmailAddress).min(1, 'give at least one recipient').max(10, 'at most 10 recipients'),
});

export const ChannelConfigSchema = z.discriminatedUnion('kind', [
  WebhookConfigSchema,
  NtfyConfigSchema,
  GotifyConfigSchema,
  EmailConfigSchema,
]);
export type ChannelConfig = z.infer<typeof ChannelConfigSchema>;
export type ChannelKind = ChannelConfig['kind'];

/** The fields that are sealed at rest and never returned. */
export const SECRET_CHANNEL_FIELDS = ['secret', 'token', 'password'] as const;

export const CreateChannelSchema = z
  .object({
    name: NameSchema,
    enabled: z.boolean().default(true),
    config: ChannelConfigSchema,
  })
  .strict()
  .openapi('CreateAlertChannel');

/** An update replaces the config; a write-only secret left out keeps the stored one. */
export const UpdateChannelSchema = z
  .object({ name: NameSchema.optional(), enabled: z.boolean().optional(), config: ChannelConfigSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
  .openapi('UpdateAlertChannel');

export const ChannelSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    kind: z.enum(['webhook', 'ntfy', 'gotify', 'email']),
    enabled: z.boolean(),
    config: z.record(z.string(), z.unknown()).openapi({ description: 'The settings without secrets' }),
    secrets_set: z.array(z.string()).openapi({ description: 'Which write-only secrets are stored' }),
    last_delivery_at: Timestamp.nullable(),
    last_delivery_error: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('AlertChannel');

export const CreatedChannelSchema = ChannelSchema.extend({
  secret: z.string().optional().openapi({ description: 'The generated webhook secret, in this response only' }),
}).openapi('CreatedAlertChannel');

const Seconds = (min: number, max: number) =>
  z.number().int().min(min, `must be ${min}–${max}`).max(max, `must be ${min}–${max}`);

/** Alert thresholds (the `alerts` setting); short values in tests, the defaults below in production. */
export const AlertSettingsSchema = z
  .strictObject({
    evaluate_seconds: Seconds(1, 3600).optional(),
    repeat_seconds: Seconds(1, 7 * 86400).optional(),
    gateway_offline_seconds: Seconds(1, 30 * 86400).optional(),
    drift_seconds: Seconds(1, 30 * 86400).optional(),
    target_down_seconds: Seconds(1, 30 * 86400).optional(),
    peer_unseen_days: Seconds(1, 365).optional(),
    certificate_days: Seconds(1, 90).optional(),
    login_failures: Seconds(1, 100_000).optional(),
    login_window_seconds: Seconds(10, 86400).optional(),
    disk_free_percent: Seconds(1, 50).optional(),
  })
  .openapi('AlertSettings');
export type AlertSettingsInput = z.infer<typeof AlertSettingsSchema>;
export type AlertSettings = Required<AlertSettingsInput>;

export const ALERT_DEFAULTS: AlertSettings = {
  evaluate_seconds: 15,
  repeat_seconds: 3600,
  gateway_offline_seconds: 300,
  drift_seconds: 600,
  target_down_seconds: 120,
  peer_unseen_days: 7,
  certificate_days: 14,
  login_failures: 30,
  login_window_seconds: 300,
  disk_free_percent: 5,
};
