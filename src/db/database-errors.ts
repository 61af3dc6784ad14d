/**
 * One question: is this error the database being unavailable — its storage
 * refusing work (read-only, full, failing, locked too long) or its server out
 * of reach — rather than a bug or a bad query? Those faults are nobody's
 * mistake in the request and usually pass, so they deserve a 503 and
 * "try again later", not a 500.
 *
 * Errors are recognised by their `code` (and, for pg's own connection errors,
 * which have none, by their message), never by `instanceof`: better-sqlite3
 * and pg each make their own error classes, and under jest a native module's
 * errors come from another realm's constructors.
 */

/**
 * SQLite result codes (extended codes included: SQLITE_IOERR_WRITE,
 * SQLITE_READONLY_DBMOVED, SQLITE_BUSY_TIMEOUT...). SQLITE_BUSY only reaches
 * us once busy_timeout has run out, so it means "locked for too long".
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY)(_[A-Z]+)?$/;

/** Socket errors on the way to a database server (Node's errno codes). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Postgres SQLSTATEs: class 08 (connection exception); 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (restarting or in
 * recovery); 53100 disk_full and 53300 too_many_connections (the server's
 * resources, not the request); 25006 read_only_sql_transaction (a standby,
 * or a primary demoted by a failover).
 */
const POSTGRES_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53100|53300|25006)$/;

/**
 * pg's and pg-pool's own errors carry no code: the socket closed under a
 * query, the pool could not connect in time, or a client that already lost
 * its connection was asked to query.
 */
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable/,
];

/** How far to follow `cause` and AggregateError's `errors` (happy-eyeballs connects). */
const MAX_DEPTH = 3;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (SQLITE_UNAVAILABLE.test(code) || NETWORK_CODES.has(code)) return true;
    if (POSTGRES_UNAVAILABLE.test(code)) return true;
  }
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.some((re) => re.test(message))) {
    return true;
  }
  if (isDatabaseUnavailable(cause, depth + 1)) return true;
  return Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/**
 * What to log about such a fault: its code and message, nothing else. A
 * driver error may carry the failed query's parameters or row values
 * (pg's `detail`), which are personal data; the code and message of these
 * faults name no row.
 */
export function describeDatabaseFault(error: unknown): { code?: string; message: string } {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
  };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    message: typeof message === 'string' ? message : String(error),
  };
}
