import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceContext } from '../../context.ts';
import { AppError } from '../../errors.ts';

/** Where Caddy keeps the internal issuer's root certificate, under its data dir (src/caddy/supervisor.ts). */
export function rootCertificatePath(caddyDataDir: string): string {
  return path.join(caddyDataDir, 'pki', 'authorities', 'local', 'root.crt');
}

/**
 * The internal issuer's root certificate (PEM), for people to install on the devices that should trust
 * Gatehouse's certificates: Caddy never installs it into the host's trust store (src/caddy/static-config.ts).
 * Not found when the issuer is ACME (public CAs need no root from us) or Caddy has not created it yet.
 */
export async function getRootCertificate({ ctx }: { ctx: ServiceContext }): Promise<string> {
  if (ctx.config.caddy.tlsIssuer !== 'internal') {
    throw new AppError(
      'not_found',
      'no root certificate: certificates come from a public ACME CA (GATEHOUSE_TLS_ISSUER=acme), which clients already trust',
    );
  }
  const file = rootCertificatePath(ctx.config.caddy.dataDir);
  const pem = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!pem?.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AppError(
      'not_found',
      'no root certificate yet: Caddy creates its internal CA when it first starts with GATEHOUSE_TLS_ISSUER=internal',
    );
  }
  return pem;
}
