import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ExpiringCertificate {
  name: string;
  issuer: string;
  notAfter: Date;
  expired: boolean;
}

const MAX_FILES = 1000;

/**
 * Certificates in Caddy's storage (`<caddy data dir>/certificates/<issuer>/<name>/<name>.crt`, where Caddy's
 * file-system storage keeps every managed certificate) that expire within `days`. Caddy's admin API lists no
 * certificates, so the storage is the source (failed attempts, also for names without any certificate yet, come
 * from the module's cert_failed record instead: src/caddy/certificate-failures.ts). Caddy renews an ACME certificate when a third of its life is left (30 days of 90), so one within 14 days means
 * renewal has been failing. The internal issuer (`local`) signs 12-hour certificates: those count only once expired.
 */
export async function expiringCertificates(
  caddyDataDir: string,
  now: Date,
  days: number,
): Promise<ExpiringCertificate[]> {
  const root = path.join(caddyDataDir, 'certificates');
  const out: ExpiringCertificate[] = [];
  let seen = 0;
  const issuers = await readdir(root).catch(() => [] as string[]);
  for (const issuer of issuers) {
    const names = await readdir(path.join(root, issuer)).catch(() => [] as string[]);
    for (const name of names) {
      if (++seen > MAX_FILES) return out;
      const pem = await readFile(path.join(root, issuer, name, `${name}.crt`), 'utf8').catch(() => undefined);
      if (!pem) continue;
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch {
        continue;
      }
      const notAfter = new Date(cert.validTo);
      const window = issuer === 'local' ? 0 : days * 86_400_000;
      if (notAfter.getTime() - now.getTime() < window) {
        out.push({ name, issuer, notAfter, expired: notAfter <= now });
      }
    }
  }
  return out;
}
