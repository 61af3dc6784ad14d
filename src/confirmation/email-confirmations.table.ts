import type { Generated } from 'kysely';

/** Why a confirmation link was sent: a new account's address, or an address change. */
export type ConfirmationPurpose = 'signup' | 'change';

/** One row per confirmation link sent. Never holds the token itself, only its SHA-256. */
export interface EmailConfirmationsTable {
  id: Generated<number>;
  user_id: number;
  purpose: ConfirmationPurpose;
  /** The address the link went to: the account's own (sign-up) or the new one (change). */
  email: string;
  /**
   * A sign-up's own password hash and name, applied when its link is used:
   * whoever proves the mailbox gets the account with the password they chose,
   * not one a stranger set by signing up first with their address.
   */
  password_hash: string | null;
  full_name: string | null;
  token_hash: string;
  created_at: string;
  expires_at: string;
  /** Set when the link was used, or voided by a later confirmation or change. */
  used_at: string | null;
}

declare module '../db/database' {
  interface Database {
    email_confirmations: EmailConfirmationsTable;
  }
}
