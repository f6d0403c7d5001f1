import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { secretBoxFor } from './auth/secret-box.ts';
import { readCertificateFailures } from './caddy/certificate-failures.ts';
import { DataPlane } from './caddy/data-plane.ts';
import { loadProxySecret } from './caddy/proxy-secret.ts';
import { controlPlaneDial } from './caddy/route-auth.ts';
import { staticCaddyConfig } from './caddy/static-config.ts';
import { CaddySupervisor } from './caddy/supervisor.ts';
import type { Config } from './config/index.ts';
import type { ConfigHooks, ServiceContext } from './context.ts';
import { secureDataDir } from './db/files.ts';
import type { DbHandle } from './db/index.ts';
import { openServerDb } from './db/role.ts';
import { assertPortsFree, ownPorts, PortInUseError, portOwner } from './host/ports.ts';
import { listenMetrics } from './http/metrics.ts';
import type { HealthReport } from './http/types.ts';
import type { Logger } from './logger.ts';
import { AccessLogFollower } from './services/access-log/follower.ts';
import { AccessLogLive } from './services/access-log/live.ts';
import { AccessLogRetentionJob } from './services/access-log/retention.ts';
import { bootstrapAdmin } from './services/admin/bootstrap.ts';
import { AlertEvaluator } from './services/alerts/evaluator.ts';
import { DeliveryQueue } from './services/alerts/queue.ts';
import { BackupScheduler, backupPassphraseFromEnv } from './services/backup/schedule.ts';
import { pushConfigInTx } from './services/config/change.ts';
import { PoolRotation } from './services/config/pool-rotation.ts';
import { Reconciler } from './services/config/reconciler.ts';
import { loadGatewayRefs } from './services/gateways/read.ts';
import { ControlPlaneMetrics } from './services/metrics/control-plane.ts';
import { activePeerSpecs, applyPeers } from './services/peers/apply.ts';
import type { PeerDeps } from './services/peers/deps.ts';
import { PeerExpiryJob } from './services/peers/expire.ts';
import { PeerHooks } from './services/peers/hooks.ts';
import { removePeersFromAcls } from './services/routes/peer-removed.ts';
import { sealSecretsAtRest } from './services/secrets/at-rest.ts';
import { assertNoPendingRotation } from './services/secrets/rotate.ts';
import { GatewayHub } from './sync/gateway-hub.ts';
import { RoutesGatewayConfigSource } from './sync/routes-gateway-config.ts';
import { WireGuardRuntime } from './wireguard/runtime.ts';

export interface RunningServer {
  url: string;
  /** The database handle (tests and the CLI use it; routes never do). */
  db: DbHandle['db'];
  /** Set on the first start only, when the admin password was generated. */
  initialAdmin: { username: string; password: string } | undefined;
  caddy: CaddySupervisor | undefined;
  /** Settles after the reconciler's first pass, whose log lines the CLI keeps above its banner. */
  firstPass: Promise<void>;
  /** GATEHOUSE_METRICS_LISTEN's listener, when set (`http://host:port`). */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * `gatehouse server`: database (migrated), admin bootstrap, the HTTP app on the configured loopback
 * address, and the supervised Caddy process. Everything started here is stopped by `stop()`.
 */
export async function startServer({ config, logger }: { config: Config; logger: Logger }): Promise<RunningServer> {
  // Owner-only from the first byte: files the process makes (database, WAL, SHM, keys, sockets) get 0600/0700.
  restrictUmask(logger);
  // A taken port stops the start here, before anything is written or spawned, with who holds it.
  for (const warning of await assertPortsFree(config)) logger.warn(warning.message);
  secureDataDir(config.dataDir);
  // The secret key first: a wrong key, or a key rotation cut short, stops the start here, before anything is
  // written.
  assertNoPendingRotation(config);
  const secrets = secretBoxFor(config);
  const metrics = new ControlPlaneMetrics();
  // The primary migrates and owns the database; an edge follows it through an embedded replica (src/db/role.ts).
  const dbHandle = await openServerDb(config, logger.child({ component: 'db' }), metrics.observeDb);
  const isPrimary = config.role === 'primary';
  const sealed = isPrimary ? await sealSecretsAtRest(dbHandle.db, secrets) : 0;
  if (sealed > 0) logger.info({ sealed }, 'sealed plaintext secrets from an older database');
  const now = () => new Date();
  const systemCtx: ServiceContext = { db: dbHandle.db, config, logger, now, actor: { kind: 'system' } };
  // The first admin is the primary's to create; an edge reads the one it made.
  const admin = isPrimary ? await bootstrapAdmin({ ctx: systemCtx }) : { created: false as const };

  // WireGuard: where it cannot run, the runtime logs what to install and peers are managed in the DB only.
  const wireguard = new WireGuardRuntime({ config, logger: logger.child({ component: 'wireguard' }), now });
  await wireguard.start(await activePeerSpecs({ tx: dbHandle.db, now: now() }));
  const peers: PeerDeps = { network: wireguard, hooks: new PeerHooks() };
  const expiryJob = new PeerExpiryJob({
    ctx: systemCtx,
    deps: peers,
    logger: logger.child({ component: 'peer-expiry' }),
  });
  // Expiry writes: one server does it, the primary (edges pick the result up from their replicas).
  if (isPrimary) expiryJob.start();
  // Scheduled backups (Settings); the passphrase is the operator's, from the environment, never stored here.
  const backups = new BackupScheduler({
    db: dbHandle.db,
    client: dbHandle.client,
    config,
    logger: logger.child({ component: 'backup' }),
    now,
    passphrase: backupPassphraseFromEnv(process.env),
  });
  // Backups read the primary's own file; an edge's replica is the primary's, so only the primary takes them.
  if (isPrimary) backups.start();

  // What Caddy sends with every request it forwards, so the control plane believes the client address it
  // names (src/http/client.ts). Without Caddy nobody forwards, so nothing is believed.
  const proxySecret = config.caddy.enabled ? loadProxySecret(config.dataDir) : undefined;
  const caddy = config.caddy.enabled
    ? new CaddySupervisor({
        bin: config.caddy.bin,
        dataDir: config.caddy.dataDir,
        adminSocket: config.caddy.adminSocket,
        staticConfig: staticCaddyConfig({
          caddy: config.caddy,
          listen: config.listen,
          publicDomain: config.publicDomain,
          l4ListenHost: config.l4.listenHost,
          geoipDb: config.geoipDb,
          asnDb: config.asnDb,
          accessLog: config.accessLog,
          proxySecret,
          // 24 bytes in base64: the 32 characters the Redis storage module wants; the same on every edge.
          redisStorageKey: config.caddy.storageRedis
            ? secrets.derive('caddy-storage-redis', 24).toString('base64')
            : undefined,
        }),
        logger: logger.child({ component: 'caddy-supervisor' }),
      })
    : undefined;

  const dataPlane = new DataPlane(
    caddy?.admin,
    () => caddy?.state === 'running',
    logger.child({ component: 'data-plane' }),
  );
  // Gateway sync: every committed config change is published to the connected agents.
  const gatewaySource = new RoutesGatewayConfigSource(dbHandle.db, { serverTunnelIp: config.wireguard.address });
  // Pools (src/services/config/pool-rotation.ts): a gateway whose stream drops leaves the rotation at once; it
  // comes back with its first status report on the new stream (sent once its listeners are open), not before.
  let rotation: PoolRotation | undefined;
  const reportedSinceConnect = new Set<number>();
  const gatewayHub = new GatewayHub({
    source: gatewaySource,
    logger: logger.child({ component: 'gateway-hub' }),
    onPresence: (gatewayId, online) => {
      reportedSinceConnect.delete(gatewayId);
      if (!online) void rotation?.changed(gatewayId);
    },
  });
  const hooks: ConfigHooks = {
    dataPlane,
    loadGateways: async (db) =>
      (await loadGatewayRefs(db)).map((g) => ({
        ...g,
        online: gatewayHub.isOnline(g.id) && reportedSinceConnect.has(g.id),
      })),
    proxySecret,
    published: () => {
      const start = performance.now();
      void gatewayHub
        .publish()
        .then(() => metrics.sync.observe({ target: 'gateways' }, (performance.now() - start) / 1000));
    },
    gatewayReported: (gatewayId, failingChanged) => {
      const first = !reportedSinceConnect.has(gatewayId) && gatewayHub.isOnline(gatewayId);
      if (first) reportedSinceConnect.add(gatewayId);
      if (first || failingChanged) void rotation?.changed(gatewayId);
    },
  };
  const reconciler = new Reconciler({
    db: dbHandle.db,
    dataPlane,
    logger: logger.child({ component: 'reconciler' }),
    loadGateways: hooks.loadGateways,
    authEndpoint: controlPlaneDial(config.listen),
    proxySecret,
    onVersion: (version) => {
      hooks.published?.(version);
      // A peer added through another edge reaches this edge only through its replica; every peer change moves
      // the config version, so an edge puts its WireGuard interface in line with the replica on each new one
      // (the agent holds one peer per edge: docs/scaling.md). The primary applies peers inside the change.
      if (!isPrimary) {
        void applyPeers({ tx: dbHandle.db, network: wireguard, now: now() }).catch((err: Error) =>
          logger.warn({ err: err.message }, 'edge: WireGuard peers could not follow the replica'),
        );
      }
    },
    followsPrimary: !isPrimary,
    // An edge learns of changes only from its replica: a local read 4× a second keeps change-to-live short.
    intervalMs: isPrimary ? undefined : 250,
  });
  // Peers feed route ACLs and peer targets: a peer change leaves the ACLs (when the peer goes away) and
  // pushes a new snapshot inside the peer's own transaction, so a rejected snapshot rolls the peer back too.
  const configCtx: ServiceContext = { ...systemCtx, hooks };
  rotation = new PoolRotation(configCtx);
  peers.hooks.onPeerRemoved((tx, event) =>
    removePeersFromAcls({ ctx: configCtx, tx, peerIds: event.peerIds }).then(() => undefined),
  );
  peers.hooks.onPeerChanged(async (tx) => {
    const { version } = await pushConfigInTx(configCtx, tx);
    // Told after the current transaction settles; publishing reads committed state, so a rollback costs nothing.
    setImmediate(() => hooks.published?.(version));
  });
  // A (re)started Caddy serves its persisted snapshot at once; the reconciler checks it is the current one.
  caddy?.on('ready', () => void reconciler.trigger());

  const health = async (): Promise<HealthReport> => {
    let db: HealthReport['db'] = { state: 'ok' };
    try {
      await dbHandle.client.execute('SELECT 1');
    } catch (err) {
      db = { state: 'error', error: (err as Error).message };
    }
    if (dbHandle.mode?.() === 'read-only')
      db = { state: 'error', error: 'primary unreachable: serving the replica read-only' };
    const caddyStatus = caddy
      ? caddy.status()
      : { state: 'disabled', pid: undefined, restarts: 0, detail: 'GATEHOUSE_CADDY_ENABLED=false' };
    const wgStatus = wireguard.status();
    const wg: HealthReport['wireguard'] = {
      state: wgStatus.state,
      interface: wgStatus.interface,
      implementation: wgStatus.implementation,
      version: wgStatus.version,
      binary: wgStatus.binary,
      detail: wgStatus.detail,
      forwarding: wgStatus.forwarding,
    };
    const ok = db.state === 'ok' && (caddyStatus.state === 'running' || caddyStatus.state === 'disabled');
    const sync = reconciler.status();
    return {
      status: ok ? 'ok' : 'degraded',
      config: { version: sync.version, applied_version: sync.applied_version, pending: sync.pending },
      db,
      caddy: {
        state: caddyStatus.state,
        pid: caddyStatus.pid,
        restarts: caddyStatus.restarts,
        detail: caddyStatus.detail,
      },
      wireguard: wg,
    };
  };

  // Alerts: deliveries leave through a bounded queue, never on a request's path; the evaluator observes the
  // conditions on its own interval (services/alerts/evaluator.ts).
  const alertCtx: ServiceContext = { ...systemCtx, logger: logger.child({ component: 'alerts' }) };
  const alertQueue = new DeliveryQueue(alertCtx);
  const alertEvaluator = new AlertEvaluator(
    alertCtx,
    {
      gatewayOnline: (id) => gatewayHub.isOnline(id),
      peerHandshakeAt: (publicKey) => wireguard.latest(publicKey)?.latestHandshake ?? null,
      dataPlanePending: () => caddy?.state === 'running' && reconciler.status().pending,
      caddyDataDir: caddy ? config.caddy.dataDir : undefined,
      certificateFailures: caddy ? () => readCertificateFailures(caddy.admin) : undefined,
    },
    alertQueue,
  );
  // The access log: Caddy writes it, the follower stores it (bounded batches, through the write queue), the
  // retention job bounds it, and the live tail fans new entries out to viewers.
  const accessLive = new AccessLogLive();
  const follower = caddy
    ? new AccessLogFollower({
        db: dbHandle.db,
        file: config.accessLog.file,
        logger: logger.child({ component: 'access-log' }),
        onStored: (rows) => {
          metrics.accessLogStored.inc(rows.length);
          accessLive.publish(rows);
        },
      })
    : undefined;
  const retention = new AccessLogRetentionJob({
    db: dbHandle.db,
    logger: logger.child({ component: 'access-log' }),
    now,
  });
  metrics.attach({
    db: dbHandle.db,
    now,
    scrapeDataPlane: caddy
      ? async () => {
          if (caddy.state !== 'running') return undefined;
          const res = await caddy.admin.request<string>('GET', '/metrics');
          return res.status === 200 && typeof res.body === 'string' ? res.body : undefined;
        }
      : undefined,
    wireguardPeers: (publicKey) => {
      const live = wireguard.latest(publicKey);
      return live ? { rxBytes: live.rxBytes, txBytes: live.txBytes, handshakeAt: live.latestHandshake } : undefined;
    },
    gatewayOnline: (id) => gatewayHub.isOnline(id),
    sseConnections: () => ({ gateway: gatewayHub.connectionCount, access_log: accessLive.subscribers }),
  });

  const app = createApp({
    db: dbHandle.db,
    config,
    logger,
    now,
    health,
    peers,
    hooks,
    gatewaySync: { hub: gatewayHub, source: gatewaySource },
    proxySecret,
    alerts: { queue: alertQueue },
    accessLog: follower ? { live: accessLive } : undefined,
    metrics,
  });
  gatewayHub.start();
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.listen.host, port: config.listen.port }, () => resolve(s));
    // Taken between the check above and now: the same message as the check gives.
    s.once('error', (err: NodeJS.ErrnoException) => {
      const target = ownPorts(config).find((p) => p.setting === 'GATEHOUSE_LISTEN');
      reject(err.code === 'EADDRINUSE' && target ? new PortInUseError(target, portOwner(target, config)) : err);
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, 'control plane listening');

  if (caddy) {
    const low = [config.caddy.httpPort, config.caddy.httpsPort].filter((p) => p < 1024);
    if (low.length > 0 && process.getuid?.() !== 0) {
      // Without root (or CAP_NET_BIND_SERVICE on the binary) Caddy cannot bind these and keeps restarting.
      logger.warn(
        { ports: low },
        'Caddy needs root or CAP_NET_BIND_SERVICE for ports below 1024; run as root, `setcap cap_net_bind_service=+ep bin/caddy`, or set GATEHOUSE_HTTP_PORT/GATEHOUSE_HTTPS_PORT',
      );
    }
    try {
      await caddy.start();
    } catch (err) {
      logger.error({ err }, 'caddy could not be started; the control plane keeps running');
    }
  }

  const firstPass = reconciler.start();
  alertEvaluator.start();
  follower?.start();
  retention.start();
  const metricsServer = config.metrics.listen
    ? await listenMetrics(metrics, config.metrics.listen.host, config.metrics.listen.port)
    : undefined;
  if (metricsServer) logger.info({ address: metricsServer.address() }, 'metrics listening');

  return {
    url,
    db: dbHandle.db,
    initialAdmin: admin.created && admin.password ? { username: admin.username, password: admin.password } : undefined,
    caddy,
    firstPass,
    metricsUrl: metricsServer ? listenerUrl(metricsServer.address() as AddressInfo) : undefined,
    async stop() {
      await alertEvaluator.stop();
      alertQueue.stop();
      await expiryJob.stop();
      await follower?.stop();
      await retention.stop();
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      backups.stop();
      await wireguard.stop();
      await caddy?.stop();
      // Ends the agents' streams first: open SSE responses would otherwise hold server.close() open.
      await gatewayHub.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open; they are ours to end.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      dbHandle.close();
      logger.info('stopped');
    },
  };
}

/** umask 077 for the whole process; in a worker thread (tests) it cannot be set, and the chmods still apply. */
function restrictUmask(logger: Logger): void {
  try {
    process.umask(0o077);
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'umask not set (not the main thread)');
  }
}

function listenerUrl(address: AddressInfo): string {
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
