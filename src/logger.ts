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

/** Log bytes waiting for standard output at most: 4 MiB, some 15,000 request lines. */
export const MAX_LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * JSON lines, one per event, for log shippers and tests. A developer watching
 * `npm start` in a terminal gets them pretty-printed instead (pino-pretty);
 * piped or in production they stay JSON. `toStderr` is for command-line
 * tools, whose standard output is their answer.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'nodeEnv'>>,
  options: { toStderr?: boolean; isTerminal?: boolean } = {},
): Logger {
  const pinoOptions = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
  };
  const isTerminal = options.isTerminal ?? process.stdout.isTTY === true;
  if (config.nodeEnv === 'development' && isTerminal && config.logLevel !== 'silent') {
    // Loaded only for a developer's terminal: production never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(
      pinoOptions,
      pretty({
        destination: options.toStderr ? 2 : 1,
        ignore: 'pid,hostname',
        translateTime: 'SYS:HH:MM:ss',
      }),
    );
  }
  if (options.toStderr) return pino(pinoOptions, pino.destination({ dest: 2, sync: true }));
  // Asynchronous writes: under load, lines written while one write is pending
  // go out together instead of one blocking syscall per request. pino flushes
  // what is left synchronously when the process exits. The buffer is capped:
  // if whatever reads standard output stalls during a flood, lines past
  // MAX_LOG_BUFFER_BYTES are dropped rather than held in memory.
  const destination = pino.destination({ dest: 1, sync: false, maxLength: MAX_LOG_BUFFER_BYTES });
  return pino(pinoOptions, destination);
}
