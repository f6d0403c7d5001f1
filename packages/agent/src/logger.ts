import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The agent's structured JSON logs (the agent runs on a LAN box without the server's code, so it has its
 * own logger). The token must never reach a log line: the redact list is the safety net.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: { paths: ['token', '*.token', 'req.headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
