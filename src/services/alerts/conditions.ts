import { statfs } from 'node:fs/promises';
import { and, count, eq, gte, inArray } from 'drizzle-orm';
import type { CertificateFailure } from '../../caddy/certificate-failures.ts';
import type { ServiceContext } from '../../context.ts';
import { auditLog, peers } from '../../db/schema/index.ts';
import type { AlertSettings } from '../../schemas/alerts.ts';
import { DENIAL_ACTIONS } from '../audit/list.ts';
import { currentVersion } from '../config/version.ts';
import { listGatewayRows } from '../gateways/read.ts';
import { expiringCertificates } from './certificates.ts';

/** Run-time facts the evaluator needs and the database does not hold (wired by src/server.ts). */
export interface AlertLiveSource {
  /** The gateway's agent holds its event stream now. */
  gatewayOnline(gatewayId: number): boolean;
  /** The peer's latest WireGuard handshake; null: none seen since the interface came up (unknown). */
  peerHandshakeAt(publicKey: string): Date | null;
  /** Caddy has not applied the config version the database holds (the reconciler's view). */
  dataPlanePending?(): boolean;
  /** Where Caddy keeps its certificates (src/caddy/supervisor.ts); absent: no certificate checks. */
  caddyDataDir?: string | undefined;
  /** Certificates Caddy fails to obtain or renew now (src/caddy/certificate-failures.ts); throws when Caddy does not answer. */
  certificateFailures?(): Promise<CertificateFailure[]>;
}

/** A condition that holds now; it fires once it has held for `thresholdSeconds` (0: at once). */
export interface Observation {
  key: string;
  condition: string;
  subject: string;
  message: string;
  thresholdSeconds: number;
}

/** Bounds on one evaluation's work: rows read per source. */
const MAX_ROWS = 5000;

/**
 * Every condition that holds now. A source that fails does not hide the others; a database that fails is
 * itself a condition (`database`).
 */
export async function observe(ctx: ServiceContext, live: AlertLiveSource, s: AlertSettings): Promise<Observation[]> {
  const out: Observation[] = [];
  const now = ctx.now();
  const dbErrors: string[] = [];
  const guard = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      dbErrors.push(`${what}: ${(err as Error).message}`.slice(0, 300));
    }
  };

  await guard('gateways', async () => {
    const [rows, version] = await Promise.all([listGatewayRows(ctx.db), currentVersion(ctx.db)]);
    for (const { gateway: g } of rows.slice(0, MAX_ROWS)) {
      const online = live.gatewayOnline(g.id);
      // A gateway never seen has not been installed yet: nothing went offline.
      if (!online && g.lastSeenAt) {
        out.push({
          key: `gateway_offline:${g.id}`,
          condition: 'gateway_offline',
          subject: `gateway ${g.name} offline`,
          message: `Gateway "${g.name}" (id ${g.id}) has no connected agent; last seen ${g.lastSeenAt.toISOString()}.`,
          thresholdSeconds: s.gateway_offline_seconds,
        });
      }
      if (online && (g.appliedVersion === null || g.appliedVersion < version)) {
        out.push({
          key: `config_drift:gateway:${g.id}`,
          condition: 'config_drift',
          subject: `gateway ${g.name} runs an old config`,
          message: `Gateway "${g.name}" applied config version ${g.appliedVersion ?? 'none'}; the current one is ${version}.`,
          thresholdSeconds: s.drift_seconds,
        });
      }
      for (const t of online ? (g.lastStatus?.targets ?? []).slice(0, MAX_ROWS) : []) {
        if (t.reachable) continue;
        out.push({
          key: `target_down:${g.id}:${t.route_id}`,
          condition: 'target_down',
          subject: `route ${t.route_id} target down`,
          message: `Gateway "${g.name}" cannot reach route ${t.route_id}'s target${t.error ? `: ${t.error}` : ''}.`,
          thresholdSeconds: s.target_down_seconds,
        });
      }
    }
  });

  if (live.dataPlanePending?.()) {
    out.push({
      key: 'config_drift:caddy',
      condition: 'config_drift',
      subject: 'Caddy runs an old config',
      message:
        'The data plane has not applied the config version the database holds (see GET /api/v1/status/agreement).',
      thresholdSeconds: s.drift_seconds,
    });
  }

  await guard('peers', async () => {
    const rows = await ctx.db
      .select({ id: peers.id, name: peers.name, publicKey: peers.publicKey })
      .from(peers)
      .where(eq(peers.enabled, true))
      .limit(MAX_ROWS);
    for (const p of rows) {
      const at = live.peerHandshakeAt(p.publicKey);
      if (!at || now.getTime() - at.getTime() < s.peer_unseen_days * 86_400_000) continue;
      out.push({
        key: `peer_unseen:${p.id}`,
        condition: 'peer_unseen',
        subject: `peer ${p.name} not seen`,
        message: `Peer "${p.name}" (id ${p.id}) has had no WireGuard handshake since ${at.toISOString()}.`,
        thresholdSeconds: 0,
      });
    }
  });

  await guard('audit log', async () => {
    const since = new Date(now.getTime() - s.login_window_seconds * 1000);
    const [row] = await ctx.db
      .select({ n: count() })
      .from(auditLog)
      .where(and(inArray(auditLog.action, DENIAL_ACTIONS), gte(auditLog.at, since)));
    const n = row?.n ?? 0;
    if (n >= s.login_failures) {
      out.push({
        key: 'login_burst',
        condition: 'login_burst',
        subject: 'many failed logins',
        message: `${n} failed logins (admin and route logins) in the last ${s.login_window_seconds} s; the login throttles slow each client down (src/auth/login-throttle.ts). See the audit log.`,
        thresholdSeconds: 0,
      });
    }
  });

  // A failing issuance comes first: when the same certificate also expires soon, its key is taken and the
  // evaluator keeps the first observation of a key, which says why.
  const failures = await live.certificateFailures?.().catch((err: Error) => {
    ctx.logger.debug({ err: err.message }, 'reading certificate failures from Caddy failed');
    return [];
  });
  for (const f of (failures ?? []).slice(0, MAX_ROWS)) out.push(certificateFailing(f));

  if (live.caddyDataDir) {
    for (const cert of await expiringCertificates(live.caddyDataDir, now, s.certificate_days)) {
      out.push({
        key: `certificate:${cert.name}`,
        condition: 'certificate',
        subject: `certificate ${cert.name} ${cert.expired ? 'expired' : 'expires soon'}`,
        message: `The certificate for ${cert.name} (issuer ${cert.issuer}) ${cert.expired ? 'expired' : 'expires'} ${cert.notAfter.toISOString()}: Caddy renews well before this, so its renewal is failing (see Caddy's log).`,
        thresholdSeconds: 0,
      });
    }
  }

  await guard('database', async () => {
    if (dbErrors.length === 0) await ctx.db.run('select 1');
  });
  if (dbErrors.length > 0) {
    out.push({
      key: 'database',
      condition: 'database',
      subject: 'database errors',
      message: `Reading the database failed: ${dbErrors.join('; ')}`,
      thresholdSeconds: 0,
    });
  }

  const disk = await statfs(ctx.config.dataDir).catch(() => undefined);
  if (disk && disk.blocks > 0) {
    const freePercent = (disk.bavail / disk.blocks) * 100;
    if (freePercent < s.disk_free_percent) {
      out.push({
        key: 'disk',
        condition: 'disk',
        subject: 'disk almost full',
        message: `The data directory's file system has ${freePercent.toFixed(1)}% free (alert below ${s.disk_free_percent}%); a full disk stops every change.`,
        thresholdSeconds: 0,
      });
    }
  }
  return out;
}

/** Caddy cannot obtain (none yet) or renew the certificate for one identifier: fires at once. */
function certificateFailing(f: CertificateFailure): Observation {
  const what = f.renewal ? 'renew the certificate' : 'obtain a certificate';
  const tries = f.attempts === 1 ? '1 failed attempt' : `${f.attempts} failed attempts`;
  return {
    key: `certificate:${f.identifier}`,
    condition: 'certificate',
    subject: `certificate issuance failing for ${f.identifier}`,
    message: `Caddy cannot ${what} for ${f.identifier}: ${tries} since ${f.firstFailedAt.toISOString()}, the last at ${f.lastFailedAt.toISOString()}. Last error: ${f.error}`,
    thresholdSeconds: 0,
  };
}
