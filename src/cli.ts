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
  gatehouse export [--format yaml|json] [--with-secrets] [--output FILE]
                                         the whole configuration as a file (docs/config-file.md); private keys,
                                         preshared keys and password hashes only with --with-secrets
  gatehouse apply FILE [--plan] [--prune]
                                         show what FILE changes (create, change with old -> new, delete with
                                         --prune) and apply it in one transaction; --plan only shows it
  gatehouse import gatecontrol|npm FILE [--plan] [--output F]
                                         a GateControl backup or Nginx Proxy Manager export (JSON: API
                                         listings or database tables) through the same plan and apply; lists
                                         what cannot be mapped; --output keeps the converted file
  gatehouse backup FILE [--passphrase-file F]
                                         a consistent copy of the live database and the secret key, encrypted
                                         with a passphrase (prompt, --passphrase-file or GATEHOUSE_BACKUP_PASSPHRASE)
  gatehouse restore FILE [--passphrase-file F]
                                         (server stopped) a backup into an empty data dir
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

/** Export and apply open the database themselves (like reset-password); a running server's reconciler pushes. */
async function configFileCommand(
  command: 'export' | 'apply' | 'import',
  file: string | undefined,
  values: Record<string, unknown>,
) {
  const config = configOrExit();
  const logger = createLogger(config.logLevel, pino.destination(2));
  const handle = createDb(config.db);
  await migrateDb(handle);
  const ctx = { db: handle.db, config, logger, now: () => new Date(), actor: { kind: 'system' as const } };
  try {
    if (command === 'export') {
      const format = values.format === 'json' ? 'json' : 'yaml';
      if (values.format !== undefined && values.format !== 'json' && values.format !== 'yaml')
        fail(`--format must be yaml or json, not "${String(values.format)}"`);
      const { exportConfig } = await import('./services/config-file/export.ts');
      const text = await exportConfig({ ctx, input: { format, withSecrets: values['with-secrets'] === true } });
      if (typeof values.output === 'string') {
        const { writeFileSync } = await import('node:fs');
        // With secrets inside, the file is for its owner only.
        writeFileSync(values.output, text, { mode: 0o600 });
      } else process.stdout.write(text);
      return;
    }
    if (!file) fail(`${command} needs a FILE`);
    if (command === 'import') {
      const { readFileSync, writeFileSync } = await import('node:fs');
      const { convertGateControlBackup } = await import('./services/import/gatecontrol.ts');
      const { convertNpmExport } = await import('./services/import/npm.ts');
      const { parseJsonInput, runImport } = await import('./services/import/common.ts');
      const source = values.source === 'npm' ? 'npm' : 'gatecontrol';
      const text = readFileSync(file, 'utf8');
      const converted =
        source === 'npm'
          ? convertNpmExport(parseJsonInput(text, 'Nginx Proxy Manager export'))
          : convertGateControlBackup(parseJsonInput(text, 'GateControl backup'));
      const result = await runImport(ctx, converted, `${source}-import.json`, {
        prune: values.prune === true,
        dryRun: values.plan === true,
      });
      if (typeof values.output === 'string') writeFileSync(values.output, result.file, { mode: 0o600 });
      process.stdout.write(result.text);
      if (result.applied) process.stdout.write(`Applied: config version ${result.config_version}.\n`);
      return;
    }
    const { readConfigFile } = await import('./services/config-file/read-file.ts');
    const { applyConfigFile } = await import('./services/config-file/apply.ts');
    const parsed = await readConfigFile(file);
    const result = await applyConfigFile(ctx, parsed, { prune: values.prune === true, dryRun: values.plan === true });
    process.stdout.write(result.text);
    if (result.applied) {
      process.stdout.write(`Applied: config version ${result.config_version}.\n`);
      for (const t of result.gateway_tokens)
        process.stdout.write(`gateway "${t.name}" token (shown once): ${t.token}\n`);
    }
  } catch (err) {
    const { AppError, ValidationError } = await import('./errors.ts');
    if (err instanceof ValidationError) fail(err.issues.map((i) => i.message).join('\n'));
    if (err instanceof AppError) fail(err.message);
    throw err;
  } finally {
    handle.close();
  }
}

/** The backup passphrase: --passphrase-file, GATEHOUSE_BACKUP_PASSPHRASE, or asked on the terminal (twice for a new backup). */
async function backupPassphrase(file: unknown, confirm: boolean): Promise<string> {
  if (typeof file === 'string') {
    const { readFileSync } = await import('node:fs');
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }
  const fromEnv = process.env.GATEHOUSE_BACKUP_PASSPHRASE;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) fail('no passphrase: give --passphrase-file FILE or set GATEHOUSE_BACKUP_PASSPHRASE');
  const { askHidden } = await import('./host/prompt.ts');
  const first = await askHidden('Backup passphrase: ');
  if (confirm && (await askHidden('Again: ')) !== first) fail('the passphrases differ');
  return first;
}

async function backupCommand(command: 'backup' | 'restore', file: string | undefined, values: Record<string, unknown>) {
  if (!file) fail(`${command} needs a FILE`);
  const config = configOrExit();
  const { ValidationError, AppError } = await import('./errors.ts');
  const passphrase = await backupPassphrase(values['passphrase-file'], command === 'backup');
  try {
    if (command === 'backup') {
      const { writeFileSync } = await import('node:fs');
      const { takeBackup } = await import('./services/backup/create.ts');
      const handle = createDb(config.db);
      try {
        const backup = await takeBackup({ client: handle.client, config, now: new Date(), passphrase });
        writeFileSync(file, backup.data, { mode: 0o600 });
        process.stdout.write(
          `backup of config version ${backup.manifest.config_version} written to ${file} (${backup.data.byteLength} bytes)\n`,
        );
      } finally {
        handle.close();
      }
      return;
    }
    const { readBackupFile } = await import('./services/backup/files.ts');
    const { restoreBackup } = await import('./services/backup/restore.ts');
    const manifest = await restoreBackup({ config, sealed: await readBackupFile(file), passphrase });
    process.stdout.write(
      `restored config version ${manifest.config_version} (backup of ${manifest.created_at}) into ${config.dataDir}\n`,
    );
  } catch (err) {
    if (err instanceof ValidationError) fail(err.issues.map((i) => `${i.field}: ${i.message}`).join('\n'));
    if (err instanceof AppError) fail(err.message);
    throw err;
  }
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
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'with-secrets': { type: 'boolean' },
      plan: { type: 'boolean' },
      prune: { type: 'boolean' },
      'passphrase-file': { type: 'string' },
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
    case 'backup':
    case 'restore':
      return backupCommand(command, sub, values);
    case 'export':
    case 'apply':
      return configFileCommand(command, sub, values);
    case 'import':
      if (sub === 'gatecontrol' || sub === 'npm') return configFileCommand('import', arg, { ...values, source: sub });
      return fail(`unknown import source "${sub ?? ''}" (gatecontrol, npm)\n\n${USAGE}`);
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
