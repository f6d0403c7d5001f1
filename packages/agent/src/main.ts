import { parseArgs } from 'node:util';
import pino from 'pino';
import { Agent } from './agent.ts';
import { AgentConfigError, type AgentConfigSources, loadAgentConfig } from './config.ts';
import { createLogger } from './logger.ts';

/** Flags of `gatehouse agent` / `gatehouse-agent`; each also has a GATEHOUSE_GATEWAY_* variable and a file key. */
const FLAGS = ['server', 'token', 'state-dir', 'config', 'listen-host', 'metrics-listen'] as const;

export interface AgentCommandOptions {
  /** Prints the message and exits; the caller owns the process's name in error messages. */
  fail: (message: string) => never;
  /** How fatal errors name the command, e.g. `gatehouse gateway`. */
  program?: string;
  env?: NodeJS.ProcessEnv;
}

/** The command line of the agent (flags after the command name); shared by `gatehouse agent` and the bin. */
export async function runAgentCommand(args: string[], opts: AgentCommandOptions): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])),
  });
  await runAgent({ ...opts, flags: values as Record<string, string | undefined>, env: opts.env ?? process.env });
}

/**
 * The agent command body: configuration (flags > env > file), JSON logs on stderr, the agent, and signal
 * handling. Lives here so the CLIs only dispatch.
 */
export async function runAgent(opts: AgentConfigSources & AgentCommandOptions): Promise<void> {
  let config: ReturnType<typeof loadAgentConfig>;
  try {
    config = loadAgentConfig(opts);
  } catch (err) {
    if (err instanceof AgentConfigError) opts.fail(err.message);
    throw err;
  }
  const logger = createLogger(config.log_level, pino.destination(2)).child({ component: 'agent' });
  const agent = new Agent({
    config,
    logger,
    onFatal: (err) => {
      process.stderr.write(`${opts.program ?? 'gatehouse agent'}: ${err.message}\n`);
      process.exitCode = 2;
    },
  });
  await agent.start();
  logger.info({ server: config.server, state_dir: config.state_dir }, 'agent started');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await agent.stop();
    process.exit(process.exitCode ?? 0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
