import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs. Secrets never reach a log line: the redact list is the safety net. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'privateKey',
          '*.privateKey',
          'private_key',
          '*.private_key',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
