/** The `sessions` table: one row per login, so a JWT can be revoked by deleting its row. */
export interface SessionsTable {
  /** 128 random bits, base64url. */
  id: string;
  user_id: number;
  /** `browser` for the cookie, `api` for bearer tokens. */
  kind: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  /** When the owner last proved who they are (login or re-entered password); null = created_at. */
  authenticated_at: string | null;
  user_agent: string | null;
  ip: string | null;
}

// The feature adds its table to the app's schema: src/db/ knows no feature.
declare module '../db/database' {
  interface Database {
    sessions: SessionsTable;
  }
}
