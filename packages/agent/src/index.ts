/** The LAN agent's public surface: the command, the agent itself, and the parts tests and benches drive alone. */
export { Agent, type AgentOptions } from './agent.ts';
export {
  type AgentConfig,
  AgentConfigError,
  type AgentConfigSources,
  agentConfigSchema,
  GATEWAY_TOKEN_PREFIX,
  loadAgentConfig,
} from './config.ts';
export { TcpForwarder, type TcpForwarderOptions, type TcpTarget, type WolTarget } from './forwarders/tcp.ts';
export { UdpForwarder, type UdpForwarderOptions } from './forwarders/udp.ts';
export { createLogger, type Logger } from './logger.ts';
export { type AgentCommandOptions, runAgent, runAgentCommand } from './main.ts';
export { AgentMetrics } from './metrics.ts';
export { AgentReconciler, type AgentReconcilerOptions, type ListenerSpec } from './reconciler.ts';
export { FatalSyncError, SseClient, type SseClientOptions } from './sse-client.ts';
export {
  createTargetGuard,
  isForbiddenAddress,
  type TargetGuard,
  type TargetGuardOptions,
  TargetRefusedError,
} from './target-guard.ts';
export { broadcastFor, broadcastOf, magicPacket, parseMac, sendMagicPacket, WOL_PORT } from './wol.ts';
