import type { Generated } from 'kysely';

/** One row per security-relevant event. Never holds a password, token or cookie. */
export interface AuthEventsTable {
  id: Generated<number>;
  /** Null for a failed login with an unknown e-mail. */
  user_id: number | null;
  type: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  /** How many attempts the row stands for: above 1 only for aggregated refusals. */
  count: Generated<number>;
}

// The feature adds its table to the app's schema: src/db/ knows no feature.
declare module '../db/database' {
  interface Database {
    auth_events: AuthEventsTable;
  }
}
