import type { Generated } from 'kysely';

/** One authenticator app per user. The secret is sealed (AES-256-GCM), never plain. */
export interface TwoStepCredentialsTable {
  user_id: number;
  /** secret-box.ts's sealed form of the base32 TOTP secret, bound to the user id. */
  secret_sealed: string;
  created_at: string;
  /** Null while the setup waits for its first correct code: two-step is not on yet. */
  enabled_at: string | null;
  /** The RFC 6238 time step of the last accepted code, so no code is accepted twice. */
  last_used_step: number | null;
}

/** Single-use recovery codes: only the SHA-256 of each 80-bit code is stored. */
export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** Logins whose password was right, waiting (5 minutes at most) for the code. */
export interface LoginChallengesTable {
  /** SHA-256 of the random id in the browser's cookie: the table alone cannot resume one. */
  id_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
}

// The feature adds its tables to the app's schema: src/db/ knows no feature.
declare module '../db/database' {
  interface Database {
    two_step_credentials: TwoStepCredentialsTable;
    recovery_codes: RecoveryCodesTable;
    login_challenges: LoginChallengesTable;
  }
}
