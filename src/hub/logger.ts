import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured logs on stderr. Personal data and secrets are redacted by path as a safety net;
 * code logs ids and codes, never payloads.
 */
export function createLogger(
  level: string = process.env.WAYGATE_LOG_LEVEL ?? 'info',
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          '*.recipient',
          '*.phone',
          '*.email',
          '*.name',
          '*.secret',
          '*.password',
          '*.credentials',
          'req.headers.authorization',
          'req.headers["x-waygate-signature"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
