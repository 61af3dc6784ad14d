import type { Kysely } from 'kysely';

/**
 * Every table Gatehouse owns, as Kysely sees them. Empty here on purpose:
 * each feature adds its own table from its `*.table.ts` (TypeScript module
 * augmentation), so this shared folder imports no feature and a new table
 * is declared next to the code that owns it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by each feature's *.table.ts
export interface Database {}

export type SqlDialect = 'sqlite' | 'postgres';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  dialect: SqlDialect;
  /**
   * SQLite: the database file, for checks that look at the files themselves
   * (sqlite-writable.ts). Absent for Postgres.
   */
  sqliteFile?: string;
  close(): Promise<void>;
}
