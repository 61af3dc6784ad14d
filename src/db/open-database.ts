import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    close: () => db.destroy(),
  };
}

function openPostgres(connectionString: string, options: OpenDatabaseOptions): DatabaseHandle {
  const pool = new Pool({ connectionString, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    close: () => db.destroy(),
  };
}
