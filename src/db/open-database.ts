import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Pool as PgPool } from 'pg';
import type { DatabaseLocation } from '../config';
import type { Database, DatabaseHandle } from './database';

export interface OpenDatabaseOptions {
  /** Postgres pool size. */
  poolSize?: number;
}

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
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
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

function openPostgres(connectionString: string, options: OpenDatabaseOptions): DatabaseHandle {
  // Loaded only when Postgres is configured: the SQLite default (and its
  // memory footprint) should not pay for a driver it never uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pool } = require('pg') as { Pool: typeof PgPool };
  const pool = new Pool({ connectionString, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    close: () => db.destroy(),
  };
}
