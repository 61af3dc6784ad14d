import { z } from 'zod';
import { field, integer, oneOf, text, type ConfigContext, type FieldValues } from './config-fields';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ServerSettings {
  port: number;
  host: string;
  /** Express `trust proxy`: false unless TRUST_PROXY says which proxies to believe. */
  trustProxy: boolean | number | string;
  logLevel: (typeof LOG_LEVELS)[number];
}

export const serverVariables = {
  PORT: integer(0, 65535, 3000),
  HOST: text(),
  TRUST_PROXY: field(
    z
      .string()
      .trim()
      .refine(
        (value) => value !== 'true',
        'TRUST_PROXY=true would let any client choose its IP: give the hop count (e.g. 1) or the proxy addresses (e.g. loopback, 10.0.0.0/8)',
      )
      .optional(),
  ),
  LOG_LEVEL: oneOf(LOG_LEVELS),
};

export function readServerSettings(
  values: FieldValues<typeof serverVariables>,
  { nodeEnv, isProduction }: ConfigContext,
): ServerSettings {
  return {
    port: values.PORT,
    // Development listens on loopback only; production (containers) on every interface.
    host: values.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    trustProxy: parseTrustProxy(values.TRUST_PROXY),
    logLevel: values.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
  };
}

/**
 * TRUST_PROXY as Express understands it: unset/false (the socket address is
 * the client: X-Forwarded-For is ignored), a hop count, or addresses/subnets
 * such as `loopback` or `10.0.0.0/8`. `true` (trust any proxy) is refused
 * because it lets every client choose its own IP.
 */
function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}
