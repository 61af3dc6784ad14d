import type { Generated } from 'kysely';

/** The `users` table. Timestamps are ISO-8601 UTC strings, `is_active` is 0/1: both portable. */
export interface UsersTable {
  id: Generated<number>;
  /** Stored trimmed and lower-cased; unique. */
  email: string;
  full_name: string;
  password_hash: string;
  is_active: Generated<number>;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
  /** When the owner proved the address is theirs (a link they received); null until then. */
  email_confirmed_at: string | null;
}

// The feature adds its table to the app's schema: src/db/ knows no feature.
declare module '../db/database' {
  interface Database {
    users: UsersTable;
  }
}
