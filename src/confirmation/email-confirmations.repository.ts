import type { Db } from '../db/database';
import type { ConfirmationPurpose } from './email-confirmations.table';

export interface PendingConfirmation {
  userId: number;
  purpose: ConfirmationPurpose;
  email: string;
  passwordHash: string | null;
  fullName: string | null;
}

export async function insertConfirmation(
  db: Db,
  input: PendingConfirmation & { tokenHash: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('email_confirmations')
    .values({
      user_id: input.userId,
      purpose: input.purpose,
      email: input.email,
      password_hash: input.passwordHash,
      full_name: input.fullName,
      token_hash: input.tokenHash,
      created_at: input.now.toISOString(),
      expires_at: input.expiresAt.toISOString(),
    })
    .execute();
}

/** What a token confirms, while it is unused and unexpired. */
export async function findUsableConfirmation(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<PendingConfirmation | undefined> {
  const row = await db
    .selectFrom('email_confirmations')
    .select(['user_id', 'purpose', 'email', 'password_hash', 'full_name'])
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return (
    row && {
      userId: row.user_id,
      purpose: row.purpose,
      email: row.email,
      passwordHash: row.password_hash,
      fullName: row.full_name,
    }
  );
}

/**
 * Marks the token used in one conditional statement: of two submissions of
 * one link, exactly one gets true.
 */
export async function consumeConfirmation(db: Db, tokenHash: string, now: Date): Promise<boolean> {
  const stamp = now.toISOString();
  const row = await db
    .updateTable('email_confirmations')
    .set({ used_at: stamp })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', stamp)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Voids the user's outstanding links (of one purpose, or all). */
export async function voidConfirmations(
  db: Db,
  userId: number,
  now: Date,
  purpose?: ConfirmationPurpose,
): Promise<void> {
  let query = db
    .updateTable('email_confirmations')
    .set({ used_at: now.toISOString() })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null);
  if (purpose) query = query.where('purpose', '=', purpose);
  await query.execute();
}

/** Removes links that expired more than a day ago (the purger calls this). */
export async function deleteStaleConfirmations(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - 86_400_000).toISOString();
  const result = await db
    .deleteFrom('email_confirmations')
    .where('expires_at', '<', cutoff)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes accounts that never proved their address and never logged in,
 * created more than a day before `now` minus the link lifetime, with no link
 * still usable: sign-ups nobody confirmed would otherwise fill the table.
 * Never an account that logged in (every sign-up with CONFIRMATION=off, and
 * anything older than confirmation) nor one an admin created (confirmed).
 */
export async function deleteAbandonedSignups(
  db: Db,
  now: Date,
  tokenMinutes: number,
): Promise<number> {
  const cutoff = new Date(now.getTime() - tokenMinutes * 60_000 - 86_400_000).toISOString();
  const result = await db
    .deleteFrom('users')
    .where('email_confirmed_at', 'is', null)
    .where('last_login_at', 'is', null)
    .where('created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('email_confirmations')
            .select('email_confirmations.id')
            .whereRef('email_confirmations.user_id', '=', 'users.id')
            .where('email_confirmations.expires_at', '>', now.toISOString()),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
