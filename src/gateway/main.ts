import pino from 'pino';
import { createLogger } from '../logger.ts';
import { GatewayAgent } from './agent.ts';
import { AgentConfigError, type AgentConfigSources, loadAgentConfig } from './config.ts';

/**
 * The `gatehouse gateway` command body: configuration (flags > env > file), JSON logs on stderr, the
 * agent, and signal handling. Lives here so src/cli.ts only dispatches.
 */
export async function runGatewayAgent(opts: AgentConfigSources & { fail: (message: string) => never }): Promise<void> {
  let config: ReturnType<typeof loadAgentConfig>;
  try {
    config = loadAgentConfig(opts);
  } catch (err) {
    if (err instanceof AgentConfigError) opts.fail(err.message);
    throw err;
  }
  const logger = createLogger(config.log_level, pino.destination(2)).child({ component: 'gateway' });
  const agent = new GatewayAgent({
    config,
    logger,
    onFatal: (err) => {
      process.stderr.write(`gatehouse gateway: ${err.message}\n`);
      process.exitCode = 2;
    },
  });
  await agent.start();
  logger.info({ server: config.server, state_dir: config.state_dir }, 'gateway agent started');
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
