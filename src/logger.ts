import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear, so that no password, token or
 * cookie ever reaches a log line even if someone logs a request by mistake.
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
];

/** `toStderr` for command-line tools, whose standard output is their answer. */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  options: { toStderr?: boolean } = {},
): Logger {
  const pinoOptions = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
  };
  if (options.toStderr) return pino(pinoOptions, pino.destination({ dest: 2, sync: true }));
  if (config.logLevel === 'silent') return pino(pinoOptions);
  // Asynchronous writes: under load, lines written while one write is pending
  // go out together instead of one blocking syscall per request. pino flushes
  // what is left synchronously when the process exits.
  return pino(pinoOptions);
}
