import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteStatement } from 'kysely';
import type { Pool as PgPool } from 'pg';
import type { DatabaseLocation } from './database.config';
import type { Database, DatabaseHandle } from './database';
import { CurrentSchemaPostgresDialect } from './postgres-introspector';

export interface OpenDatabaseOptions {
  /** Postgres pool size. */
  poolSize?: number;
  /**
   * Postgres: told when a pooled connection dies (server restart, failover,
   * pg_terminate_backend, network cut). The pool drops that connection and
   * opens a new one on demand; this is only for the log.
   */
  onPoolError?: (error: Error) => void;
}

/**
 * How long a query may wait for a Postgres connection before failing (503).
 * A server that drops connection attempts (a network partition, a host being
 * replaced) would otherwise keep a request waiting forever; a healthy server
 * connects in milliseconds, and a busy pool frees a client well within it.
 */
const CONNECT_TIMEOUT_MS = 5000;

/** Opens the database named by the configuration; the caller owns `close()`. */
export function openDatabase(
  location: DatabaseLocation,
  options: OpenDatabaseOptions = {},
): DatabaseHandle {
  if (location.kind === 'postgres') return openPostgres(location.connectionString, options);
  return openSqlite(location.filename);
}

function openSqlite(filename: string): DatabaseHandle {
  if (filename !== ':memory:') mkdirSync(path.dirname(filename), { recursive: true });
  const sqlite = new SqliteDatabase(filename);
  // WAL lets readers proceed during a write; the busy timeout makes a second
  // process (seed, CLI) wait for the lock instead of failing at once.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return {
    db,
    dialect: 'sqlite',
    sqliteFile: filename,
    close: () => db.destroy(),
  };
}

/**
 * Kysely's SQLite driver prepares every query afresh; a prepared statement can
 * be reused (better-sqlite3 runs each to completion synchronously), so keep
 * them by SQL text. The set of distinct SQL strings is small and fixed (every
 * query is built by our code, values are bound parameters), and bounded anyway.
 */
function withStatementCache(sqlite: SqliteDatabase.Database) {
  const MAX_STATEMENTS = 500;
  const statements = new Map<string, SqliteDatabase.Statement>();
  const rollback = rollbackIfOpen(sqlite);
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      if (sql === 'rollback') return rollback;
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (statements.size >= MAX_STATEMENTS) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Kysely's ROLLBACK (after a failed statement in a transaction), made safe to
 * run when SQLite has already rolled back. On SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_BUSY or SQLITE_NOMEM SQLite may end the transaction itself; a plain
 * ROLLBACK then fails with "cannot rollback - no transaction is active", and
 * Kysely throws that instead of the fault (a 500 for what is a full disk).
 * SQLite's own advice is to roll back anyway and ignore exactly that failure:
 * here, by not rolling back when no transaction is open.
 */
function rollbackIfOpen(sqlite: SqliteDatabase.Database): SqliteStatement {
  const statement = sqlite.prepare('rollback');
  const nothing = { changes: 0, lastInsertRowid: 0 };
  return {
    reader: false,
    run: () => (sqlite.inTransaction ? statement.run() : nothing),
    all: () => [],
    iterate: () => [][Symbol.iterator](),
  };
}

function openPostgres(connectionString: string, options: OpenDatabaseOptions): DatabaseHandle {
  // Loaded only when Postgres is configured: the SQLite default (and its
  // memory footprint) should not pay for a driver it never uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pool } = require('pg') as { Pool: typeof PgPool };
  const pool = new Pool({
    connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // pg emits 'error' on a client whose connection dies — idle in the pool or
  // lent to a query — and the pool emits it again for an idle one. An 'error'
  // event nobody listens to ends the process, so listen on every client
  // (reported once, here) and on the pool (already reported: nothing to add).
  // The query that was running fails and answers 503; the pool discards the
  // dead client and connects afresh for the next one.
  const report = (error: Error) => options.onPoolError?.(error);
  pool.on('connect', (client) => client.on('error', report));
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    close: () => db.destroy(),
  };
}
