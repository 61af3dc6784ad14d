import type { Kysely } from 'kysely';
import type { AuthEventsTable } from '../events/auth-events.table';
import type { PasswordResetsTable } from '../password-reset/password-resets.table';
import type { SessionsTable } from '../sessions/sessions.table';
import type { UsersTable } from '../users/users.table';

/** Every table Gatehouse owns, as Kysely sees them. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  auth_events: AuthEventsTable;
  password_resets: PasswordResetsTable;
}

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
