import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from './config/index.ts';
import { createDb, migrateDb } from './db/index.ts';
import { createLogger } from './logger.ts';
import { resetAdminPassword } from './services/admin/bootstrap.ts';

const USAGE = `gatehouse — publish LAN services through one public server, and decide who may reach them

Usage:
  gatehouse server [--role primary|edge] start the control plane and the supervised Caddy; an edge follows the
                                         primary's database (GATEHOUSE_ROLE, GATEHOUSE_DB_SYNC_URL; docs/scaling.md)
  gatehouse migrate                      apply database migrations and exit
  gatehouse agent --server URL --token T [--state-dir DIR] [--config FILE] [--listen-host IP]
                                         run the LAN agent (or GATEHOUSE_GATEWAY_SERVER/_TOKEN);
                                         \`gatehouse gateway\` is the same command
  gatehouse admin reset-password [USER] [--disable-totp] [--enable] [--owner]
                                         set a new admin password (printed once; or from GATEHOUSE_ADMIN_PASSWORD);
                                         --disable-totp also turns TOTP off (secret, recovery codes and passkeys
                                         cleared); --enable enables a disabled user; --owner makes them an owner
  gatehouse secrets rotate               (server stopped) a new secret key; every secret at rest re-encrypted
  gatehouse db promote --standby-dir DIR [--old-primary-dir DIR]
                                         (standby sqld stopped) make the standby's data the new primary's and fence
                                         the old primary's; then start sqld on DIR as primary (docs/scaling.md)
  gatehouse doctor                       check this machine (ports, WireGuard, forwarding, Caddy, disk, clock,
                                         DNS, data dir) and say what to fix; exit code 1 when a check fails
  gatehouse --version                    version, git commit and the Caddy build

Configuration comes from GATEHOUSE_* environment variables; see the README. Running it for real: docs/deploy.md.`;

function fail(message: string): never {
  process.stderr.write(`gatehouse: ${message}\n`);
  process.exit(1);
}

function configOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function serverCommand() {
  const config = configOrExit();
  // Logs (JSON) go to stderr; stdout carries what people read.
  const logger = createLogger(config.logLevel, pino.destination(2));
  const { startServer } = await import('./server.ts');
  const { PortInUseError } = await import('./host/ports.ts');
  const server = await startServer({ config, logger }).catch((err: unknown) => {
    // A taken port is the operator's to fix: the message says which and who holds it; a stack would bury it.
    if (err instanceof PortInUseError) fail(err.message);
    throw err;
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A stuck dependency must not keep the process alive for ever.
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // After the startup log lines (the first reconcile pass, bounded): the banner, with the once-only
  // password, is the last thing on the terminal; requests log at debug only, so it stays there.
  await Promise.race([server.firstPass, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  if (stopping) return;
  const publicUrl = config.publicDomain ? `https://${config.publicDomain}` : server.url;
  const lines = [
    '',
    '  Gatehouse is running',
    `  Dashboard and API:  ${publicUrl}`,
    `  API reference:      ${publicUrl}/api/v1/docs   (needs a login unless the api_docs_public setting is on)`,
    `  Health:             ${server.url}/healthz   (up or down; details at /api/v1/health with a login)`,
    server.initialAdmin
      ? `  Admin login:        ${server.initialAdmin.username} / ${server.initialAdmin.password}   (shown once; store it now)`
      : `  Admin login:        ${config.admin.user} (password set at first start; reset with: gatehouse admin reset-password)`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `gatehouse agent` (and its older name `gatehouse gateway`): the LAN agent, from its own package. */
async function agentCommand(command: string, argv: string[]) {
  const { runAgentCommand } = await import('@gatehouse/agent');
  await runAgentCommand(argv.slice(1), { fail, program: `gatehouse ${command}` });
}

async function migrateCommand() {
  const config = configOrExit();
  if (config.role === 'edge') fail('migrate runs against the primary; GATEHOUSE_ROLE=edge here (docs/scaling.md)');
  const handle = createDb(config.db);
  await migrateDb(handle);
  handle.close();
  process.stdout.write('database is up to date\n');
}

async function resetPasswordCommand(
  username: string | undefined,
  disableTotp: boolean,
  extra: { enable: boolean; makeOwner: boolean },
) {
  const config = configOrExit();
  const logger = createLogger(config.logLevel);
  const handle = createDb(config.db);
  await migrateDb(handle);
  const user = username ?? config.admin.user;
  const ctx = { db: handle.db, config, logger, now: () => new Date(), actor: { kind: 'system' as const } };
  const result = await resetAdminPassword({
    ctx,
    input: { username: user, password: config.admin.password, disableTotp, ...extra },
  });
  handle.close();
  if (!result.updated) fail(`no admin user named "${user}"`);
  process.stdout.write(
    result.password ? `new password for ${user}: ${result.password}\n` : 'password set from GATEHOUSE_ADMIN_PASSWORD\n',
  );
  process.stdout.write(`every session of ${user} has ended\n`);
  if (extra.enable) process.stdout.write(`${user} is enabled\n`);
  if (extra.makeOwner) process.stdout.write(`${user} is an owner\n`);
  if (result.totpDisabled)
    process.stdout.write(
      result.totpWasOn
        ? `TOTP turned off for ${user}: secret and recovery codes cleared; set it up again on the Account page\n`
        : `TOTP was not on for ${user}; nothing to turn off\n`,
    );
}

async function rotateSecretsCommand() {
  const config = configOrExit();
  const { rotateSecretKey } = await import('./services/secrets/rotate.ts');
  const result = await rotateSecretKey(config);
  process.stdout.write(
    result.keyFile
      ? `re-encrypted ${result.secrets} secrets; the new key is in ${result.keyFile} (back it up with the database)\n`
      : `re-encrypted ${result.secrets} secrets; set GATEHOUSE_SECRET_KEY=${result.newKey} before the next start\n`,
  );
}

async function promoteCommand(standbyDir: unknown, oldPrimaryDir: unknown) {
  if (typeof standbyDir !== 'string' || standbyDir === '')
    fail('db promote needs --standby-dir DIR (the standby sqld data directory)');
  if (oldPrimaryDir !== undefined && (typeof oldPrimaryDir !== 'string' || oldPrimaryDir === ''))
    fail('--old-primary-dir needs a directory');
  const { promoteStandby, PromoteError } = await import('./db/promote.ts');
  try {
    const result = promoteStandby({ standbyDir, oldPrimaryDir: oldPrimaryDir as string | undefined, now: new Date() });
    for (const line of result.lines) process.stdout.write(`${line}\n`);
  } catch (err) {
    if (err instanceof PromoteError) fail(err.message);
    throw err;
  }
}

async function versionCommand() {
  const config = configOrExit();
  const { formatVersion, versionInfo } = await import('./host/version.ts');
  process.stdout.write(`${formatVersion(versionInfo(config.caddy.bin))}\n`);
}

async function doctorCommand() {
  const config = configOrExit();
  const { doctorExitCode, formatResults, runDoctor } = await import('./host/doctor/index.ts');
  const { realDoctorEnv } = await import('./host/doctor/environment.ts');
  const results = await runDoctor(realDoctorEnv(config));
  process.stdout.write(`${formatResults(results)}\n`);
  process.exitCode = doctorExitCode(results);
}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
      'disable-totp': { type: 'boolean' },
      enable: { type: 'boolean' },
      owner: { type: 'boolean' },
      role: { type: 'string' },
      'standby-dir': { type: 'string' },
      'old-primary-dir': { type: 'string' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.version && !command) return versionCommand();
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  switch (command) {
    case 'server':
      // The flag wins over GATEHOUSE_ROLE; the schema validates it like the variable.
      if (typeof values.role === 'string') process.env.GATEHOUSE_ROLE = values.role;
      else if (values.role !== undefined) return fail('--role needs a value: primary or edge');
      return serverCommand();
    case 'db':
      if (sub === 'promote') return promoteCommand(values['standby-dir'], values['old-primary-dir']);
      return fail(`unknown db command "${sub ?? ''}"\n\n${USAGE}`);
    case 'agent':
    case 'gateway':
      return agentCommand(command, argv);
    case 'migrate':
      return migrateCommand();
    case 'version':
      return versionCommand();
    case 'doctor':
      return doctorCommand();
    case 'secrets':
      if (sub === 'rotate') return rotateSecretsCommand();
      return fail(`unknown secrets command "${sub ?? ''}"\n\n${USAGE}`);
    case 'admin':
      if (sub === 'reset-password')
        return resetPasswordCommand(arg, values['disable-totp'] === true, {
          enable: values.enable === true,
          makeOwner: values.owner === true,
        });
      return fail(`unknown admin command "${sub ?? ''}"\n\n${USAGE}`);
    default:
      return fail(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`gatehouse: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
