import { defaultDataDir } from './data-dir.ts';
import { type Config, envSchema, roleProblems, toConfig } from './schema.ts';

export { defaultDataDir } from './data-dir.ts';
export type { Config } from './schema.ts';
export { ADMIN_PASSWORD_MIN_LENGTH, DEFAULT_BLOCKED_PORTS, envSchema } from './schema.ts';

/** Thrown when the environment is invalid; `problems` names each variable and why. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the GATEHOUSE_* environment once. The only reader of process.env in the code base:
 * everything else receives the returned Config.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `GATEHOUSE_X=` in a compose file falls back to the default.
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key.startsWith('GATEHOUSE_') && value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const problems = roleProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return toConfig(parsed.data, { dataDir: defaultDataDir(env) });
}
