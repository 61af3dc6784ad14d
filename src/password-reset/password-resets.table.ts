import type { Generated } from 'kysely';

/** One row per reset link sent. Never holds the token itself, only its SHA-256. */
export interface PasswordResetsTable {
  id: Generated<number>;
  user_id: number;
  /** SHA-256 of the 256-bit token, hex: a leaked table cannot be turned into links. */
  token_hash: string;
  created_at: string;
  expires_at: string;
  /** Set when the link was used, or voided by any later password change. */
  used_at: string | null;
}

// The feature adds its table to the app's schema: src/db/ knows no feature.
declare module '../db/database' {
  interface Database {
    password_resets: PasswordResetsTable;
  }
}
