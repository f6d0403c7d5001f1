import { z } from 'zod';
import type { CaddyAdminClient } from './admin-client.ts';

/**
 * Certificates Caddy fails to obtain or renew, as the module's events handler records them
 * (caddy-module/cert_events.go: certmagic's `cert_failed` until `cert_obtained`), read from
 * GET /gatehouse/v1/certificates/failures. Kept in Caddy's memory: a Caddy restart forgets them until the next
 * attempt fails again.
 */
export interface CertificateFailure {
  identifier: string;
  /** An existing certificate could not be renewed; false: none could be obtained yet. */
  renewal: boolean;
  error: string;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

export const CERTIFICATE_FAILURES_PATH = '/gatehouse/v1/certificates/failures';

/** At most this many are read (the module keeps at most 1000). */
const MAX_FAILURES = 1000;
const MAX_ERROR_LENGTH = 500;

/** A DNS name (a wildcard's `*.` allowed), an IPv4 or an IPv6 address: what certmagic names a certificate by. */
const IDENTIFIER = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$|^[0-9a-f:.]+$/;

const failureSchema = z.object({
  identifier: z.string().max(253).regex(IDENTIFIER),
  renewal: z.boolean(),
  error: z.string(),
  attempts: z.number().int().min(1),
  first_failed_at: z.iso.datetime({ offset: true }),
  last_failed_at: z.iso.datetime({ offset: true }),
});

/** One line without control characters, cut: the text comes from whatever answered at the CA's URL. */
export function cleanCertificateError(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\s]+/g, ' ').trim();
  return (line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH)}…` : line) || 'unknown error';
}

/** The failures Caddy records now; entries that do not parse are skipped, not trusted. Throws when Caddy does not answer. */
export async function readCertificateFailures(admin: CaddyAdminClient): Promise<CertificateFailure[]> {
  const res = await admin.request<{ failures?: unknown }>('GET', CERTIFICATE_FAILURES_PATH);
  if (res.status !== 200 || !Array.isArray(res.body?.failures))
    throw new Error(`GET ${CERTIFICATE_FAILURES_PATH} answered ${res.status}`);
  const out: CertificateFailure[] = [];
  for (const raw of res.body.failures.slice(0, MAX_FAILURES)) {
    const parsed = failureSchema.safeParse(raw);
    if (!parsed.success) continue;
    const f = parsed.data;
    out.push({
      identifier: f.identifier,
      renewal: f.renewal,
      error: cleanCertificateError(f.error),
      attempts: f.attempts,
      firstFailedAt: new Date(f.first_failed_at),
      lastFailedAt: new Date(f.last_failed_at),
    });
  }
  return out;
}
